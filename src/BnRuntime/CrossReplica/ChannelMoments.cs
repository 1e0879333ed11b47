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
        long channels = input.size(1);
        long count = input.NumberOfElements / channels;
        if (count == 0)
            return torch.zeros(2 * channels + 1, ScalarType.Float64);

        using var scope = torch.NewDisposeScope();
        // Moments in the input's dtype (as ATen's kernel computes them), float32 for half-precision input (as
        // PyTorch's SyncBatchNorm), widened once for the combination.
        long[] reduceOver = ChannelLayout.ReductionDimensions(input);
        var x = input.dtype == StatisticsDType(input.dtype) ? input : input.to(StatisticsDType(input.dtype));
        var mean = x.mean(reduceOver, keepdim: true);
        var centred = x - mean;
        var m2 = centred.mul_(centred).sum(reduceOver);
        return torch.cat([torch.full(1, (double)count, ScalarType.Float64), mean.reshape(channels).to(ScalarType.Float64), m2.to(ScalarType.Float64)])
            .MoveToOuterDisposeScope();
    }

    /// <summary>The dtype statistics of <paramref name="input"/> are computed and combined in: float32 for float16 and
    /// bfloat16 (their few significant bits would lose the mean of a large batch), else the input's own.</summary>
    public static ScalarType StatisticsDType(ScalarType input) =>
        input is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : input;

    /// <summary>
    /// Combines the rows of <paramref name="gathered"/> [replicas, 2·C + 1] in row order (Chan, Golub and LeVeque's
    /// pairwise update), returning the global count, mean and biased variance as length-C tensors of
    /// <paramref name="dtype"/>. A few values per channel: plain loops, not tensor operations.
    /// </summary>
    public static (long Count, Tensor Mean, Tensor BiasedVariance) Combine(Tensor gathered, long channels, ScalarType dtype, Device device)
    {
        int width = checked((int)(2 * channels + 1));
        if (gathered.Dimensions != 2 || gathered.size(1) != width || gathered.dtype != ScalarType.Float64)
            throw new InvalidOperationException($"The statistics reducer returned moments of shape [{string.Join(", ", gathered.shape)}] ({gathered.dtype}); expected float64 [replicas, {width}].");

        double[] rows = gathered.contiguous().data<double>().ToArray();
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

        return ((long)total, torch.tensor(mean, dtype, device), torch.tensor(m2, dtype, device));
    }
}
