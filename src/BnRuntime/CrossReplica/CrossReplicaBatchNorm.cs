using System;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// A site's training forward when its statistics are combined across replicas: the same decisions as
/// <see cref="BatchNormKernel"/> (counter, momentum or cumulative factor, unbiased running variance), with the
/// global count, mean and variance in place of the slice's. Per-channel arithmetic runs in managed float64
/// (<see cref="ChannelVector"/>); the only tensor operations are the slice's moments and the normalization.
/// </summary>
internal static class CrossReplicaBatchNorm
{
    public static Tensor Apply(
        BatchNormSite site,
        IBatchStatisticsReducer reducer,
        Tensor input,
        Tensor? weight,
        Tensor? bias,
        Tensor? runningMean,
        Tensor? runningVar,
        Tensor? numBatchesTracked,
        double momentum,
        bool cumulativeAverage,
        double eps)
    {
        long count;
        double[] mean;
        double[] variance;
        using (torch.no_grad())
        using (var gatherScope = torch.NewDisposeScope())
        {
            var local = ChannelMoments.Pack(input);
            var gathered = reducer.GatherMoments(site, local);
            (count, mean, variance) = ChannelMoments.Combine(gathered, site.NumFeatures);
        }

        // Every replica holds the same count, so every replica refuses together and nothing has changed yet.
        if (count <= 1)
        {
            throw new ArgumentException(
                $"Batch-norm site '{site.SiteName}': expected more than 1 value per channel when training, got {count} across all replicas (this one: {BatchNormInputValidation.Describe(input)}). Use a larger global batch, or call eval().",
                nameof(input));
        }

        if (runningMean is not null && runningVar is not null)
        {
            double factor = RunningAverage.CountBatch(numBatchesTracked, momentum, cumulativeAverage);
            Blend(runningMean, mean, factor, 1.0);
            Blend(runningVar, variance, factor, (double)count / (count - 1));
        }

        // The normalization computes in the site's own dtype (float32 for a float32-keeping site under half
        // precision), which ATen's kernel needs its statistics, weight and bias to share.
        var dtype = (weight ?? runningMean)?.dtype ?? ChannelMoments.StatisticsDType(input.dtype);
        var statistics = new GlobalStatistics(count, mean, variance, eps, dtype);
        return SynchronizedBatchNormFunction.Apply(input, weight, bias, statistics, site, reducer);
    }

    /// <summary>running ← (1 − factor)·running + factor·scale·batch, per channel, rounded once to the running dtype.</summary>
    private static void Blend(Tensor running, double[] batch, double factor, double scale)
    {
        var values = new double[batch.Length];
        ChannelVector.Read(running, values);
        for (int k = 0; k < values.Length; k++)
            values[k] = (1 - factor) * values[k] + factor * (batch[k] * scale);
        ChannelVector.Overwrite(running, values);
    }
}
