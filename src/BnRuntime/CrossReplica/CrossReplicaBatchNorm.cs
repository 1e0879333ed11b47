using System;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// A site's training forward when its statistics are combined across replicas: the same decisions as
/// <see cref="BatchNormKernel"/> (counter, momentum or cumulative factor, unbiased running variance), with the
/// global count, mean and variance in place of the slice's.
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
        long channels = site.NumFeatures;
        long count;
        Tensor globalMean;
        Tensor globalVariance;
        using (torch.no_grad())
        using (var gatherScope = torch.NewDisposeScope())
        {
            var local = ChannelMoments.Pack(input);
            var gathered = reducer.GatherMoments(site, local);
            // The global statistics take the site's own dtype (float32 for a float32-keeping site under half precision),
            // which ATen's kernel needs its statistics, weight and bias to share.
            var dtype = (weight ?? runningMean)?.dtype ?? ChannelMoments.StatisticsDType(input.dtype);
            (count, globalMean, globalVariance) = ChannelMoments.Combine(gathered, channels, dtype, input.device);
            globalMean.MoveToOuterDisposeScope();
            globalVariance.MoveToOuterDisposeScope();
        }

        try
        {
            // Every replica holds the same count, so every replica refuses together and nothing has changed yet.
            if (count <= 1)
            {
                throw new ArgumentException(
                    $"Batch-norm site '{site.SiteName}': expected more than 1 value per channel when training, got {count} across all replicas (this one: {BatchNormInputValidation.Describe(input)}). Use a larger global batch, or call eval().",
                    nameof(input));
            }

            if (runningMean is not null && runningVar is not null)
            {
                using var noGrad = torch.no_grad();
                double factor = RunningAverage.CountBatch(numBatchesTracked, momentum, cumulativeAverage);

                // The statistics' dtype may be wider than the running averages' (float32 against a half-precision site).
                using var mean = globalMean.to(runningMean.dtype);
                using var variance = globalVariance.to(runningVar.dtype);
                runningMean.mul_(1 - factor).add_(mean, alpha: factor);
                runningVar.mul_(1 - factor).add_(variance, alpha: factor * count / (count - 1));
            }

            var output = SynchronizedBatchNormFunction.Apply(input, weight, bias, globalMean, globalVariance, eps, count, site, reducer);
            return output;
        }
        finally
        {
            globalMean.Dispose();
            globalVariance.Dispose();
        }
    }
}
