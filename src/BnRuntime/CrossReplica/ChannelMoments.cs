using System;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Per-channel moments of a batch slice, packed for <see cref="IBatchStatisticsReducer"/> as
/// <c>[count, mean_0 … mean_{C−1}, m2_0 … m2_{C−1}]</c> in float64, and their combination across replicas.
/// </summary>
internal static class ChannelMoments
{
    /// <summary>Packs the moments of <paramref name="input"/> [N, C, ...] over every dimension but 1.</summary>
    public static Tensor Pack(Tensor input)
    {
        int channels = checked((int)input.size(1));
        long count = input.NumberOfElements / Math.Max(1, channels);
        var packed = new double[2 * channels + 1];
        packed[0] = count;
        if (count > 0)
        {
            using var scope = torch.NewDisposeScope();
            // Moments in the input's dtype (as ATen's kernel computes them), float32 for half-precision input (as
            // PyTorch's SyncBatchNorm), widened once for the combination.
            long[] reduceOver = ChannelLayout.ReductionDimensions(input);
            var x = input.dtype == StatisticsDType(input.dtype) ? input : input.to(StatisticsDType(input.dtype));
            var mean = x.mean(reduceOver, keepdim: true);
            var centred = x - mean;
            var m2 = centred.mul_(centred).sum(reduceOver);
            ChannelVector.Read(mean, packed.AsSpan(1, channels));
            ChannelVector.Read(m2, packed.AsSpan(1 + channels, channels));
        }

        return ChannelVector.Create(packed, [packed.Length], ScalarType.Float64, CPU);
    }

    /// <summary>The dtype statistics of <paramref name="input"/> are computed and combined in: float32 for float16 and
    /// bfloat16 (their few significant bits would lose the mean of a large batch), else the input's own.</summary>
    public static ScalarType StatisticsDType(ScalarType input) =>
        input is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : input;

    /// <summary>
    /// Combines the rows of <paramref name="gathered"/> [replicas, 2·C + 1] in row order (Chan, Golub and LeVeque's
    /// pairwise update): the global count, and per channel the mean and the biased variance, in float64.
    /// </summary>
    public static (long Count, double[] Mean, double[] BiasedVariance) Combine(Tensor gathered, long channels)
    {
        int width = checked((int)(2 * channels + 1));
        if (gathered.Dimensions != 2 || gathered.size(1) != width || gathered.dtype != ScalarType.Float64)
            throw new InvalidOperationException($"The statistics reducer returned moments of shape [{string.Join(", ", gathered.shape)}] ({gathered.dtype}); expected float64 [replicas, {width}].");

        var rows = new double[gathered.NumberOfElements];
        ChannelVector.Read(gathered, rows);
        int c = (int)channels;
        var mean = new double[c];
        var m2 = new double[c];
        double total = 0;
        for (int replica = 0; replica < rows.Length / width; replica++)
        {
            int row = replica * width;
            double n = rows[row];
            if (n < 0 || n != Math.Floor(n))
                throw new InvalidOperationException($"The statistics reducer returned a count of {n} for replica {replica}.");
            if (n == 0)
                continue; // An empty slice adds nothing.

            double combined = total + n;
            for (int k = 0; k < c; k++)
            {
                double rowMean = rows[row + 1 + k];
                double delta = rowMean - mean[k];
                mean[k] += delta * (n / combined);
                m2[k] += rows[row + 1 + c + k] + delta * delta * (total * n / combined);
            }

            total = combined;
        }

        if (total > 0)
        {
            for (int k = 0; k < c; k++)
                m2[k] /= total;
        }

        return ((long)total, mean, m2);
    }
}
