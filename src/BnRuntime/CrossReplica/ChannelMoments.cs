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
        using var scope = torch.NewDisposeScope();
        var packed = torch.zeros(2 * channels + 1, ScalarType.Float64);
        packed[0] = count;
        if (count > 0)
        {
            // Moments in the input's dtype (as ATen's kernel computes them), widened once for the combination.
            long[] reduceOver = ReductionDimensions(input);
            var mean = input.mean(reduceOver, keepdim: true);
            var m2 = (input - mean).square().sum(reduceOver);
            packed[TensorIndex.Slice(1, channels + 1)] = mean.reshape(channels).to(ScalarType.Float64);
            packed[TensorIndex.Slice(channels + 1)] = m2.to(ScalarType.Float64);
        }

        return packed.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Combines the rows of <paramref name="gathered"/> [replicas, 2·C + 1] in row order (Chan, Golub and LeVeque's
    /// pairwise update), returning the global count, mean and biased variance (float64, length C).
    /// </summary>
    public static (long Count, Tensor Mean, Tensor BiasedVariance) Combine(Tensor gathered, long channels)
    {
        if (gathered.Dimensions != 2 || gathered.size(1) != 2 * channels + 1)
            throw new InvalidOperationException($"The statistics reducer returned moments of shape [{string.Join(", ", gathered.shape)}]; expected [replicas, {2 * channels + 1}].");

        using var scope = torch.NewDisposeScope();
        double[] counts = gathered[TensorIndex.Colon, 0].contiguous().data<double>().ToArray();
        double total = 0;
        Tensor? mean = null;
        Tensor? m2 = null;
        for (int replica = 0; replica < counts.Length; replica++)
        {
            double n = counts[replica];
            if (n < 0 || n != Math.Floor(n))
                throw new InvalidOperationException($"The statistics reducer returned a count of {n} for replica {replica}.");
            if (n == 0)
                continue; // An empty slice adds nothing.

            var row = gathered[replica];
            var rowMean = row[TensorIndex.Slice(1, channels + 1)];
            var rowM2 = row[TensorIndex.Slice(channels + 1)];
            if (mean is null || m2 is null)
            {
                mean = rowMean.clone();
                m2 = rowM2.clone();
                total = n;
                continue;
            }

            double combined = total + n;
            var delta = rowMean - mean;
            mean = mean + delta * (n / combined);
            m2 = m2 + rowM2 + delta.square() * (total * n / combined);
            total = combined;
        }

        if (mean is null || m2 is null)
            return (0, torch.zeros(channels, ScalarType.Float64).MoveToOuterDisposeScope(), torch.zeros(channels, ScalarType.Float64).MoveToOuterDisposeScope());

        var variance = m2 / total;
        return ((long)total, mean.MoveToOuterDisposeScope(), variance.MoveToOuterDisposeScope());
    }

    public static long[] ReductionDimensions(Tensor input)
    {
        var dimensions = new long[input.Dimensions - 1];
        dimensions[0] = 0;
        for (int i = 2; i < input.Dimensions; i++)
            dimensions[i - 1] = i;
        return dimensions;
    }

    /// <summary>Shape [1, C, 1, ...] that broadcasts a per-channel vector against <paramref name="input"/>.</summary>
    public static long[] ChannelShape(Tensor input)
    {
        var shape = new long[input.Dimensions];
        Array.Fill(shape, 1L);
        shape[1] = input.size(1);
        return shape;
    }
}
