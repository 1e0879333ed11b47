using System;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Batch normalization written out step by step, the way textbooks and the article that started BnGen
/// present it, but with PyTorch's exact semantics. It is slow (many small operations) and exists to be read and
/// for the tests to check the fast path against. Statistics gathered across replicas live in CrossReplica/
/// (<see cref="IBatchStatisticsReducer"/>), not here.
/// </summary>
internal static class ReferenceBatchNorm
{
    /// <summary>Per-channel statistics of one batch.</summary>
    /// <param name="Mean">Mean of each channel over every dimension but 1.</param>
    /// <param name="BiasedVariance">Mean squared deviation (divides by n): what normalization uses.</param>
    /// <param name="ValuesPerChannel">n: N for [N, C], N·L, N·H·W or N·D·H·W for conv inputs.</param>
    public readonly record struct Statistics(Tensor Mean, Tensor BiasedVariance, long ValuesPerChannel)
    {
        /// <summary>The variance with Bessel's correction (divides by n − 1): what the running average stores.</summary>
        public Tensor UnbiasedVariance => BiasedVariance * ((double)ValuesPerChannel / (ValuesPerChannel - 1));
    }

    /// <summary>Mean and variance of each channel of [N, C, ...] over all other dimensions.</summary>
    public static Statistics BatchStatistics(Tensor input)
    {
        long[] reduceOver = ChannelLayout.ReductionDimensions(input);
        long valuesPerChannel = input.NumberOfElements / input.size(1);
        var mean = input.mean(reduceOver, keepdim: false);
        var centered = input - Broadcast(mean, input);
        var biasedVariance = (centered * centered).mean(reduceOver, keepdim: false);
        return new Statistics(mean, biasedVariance, valuesPerChannel);
    }

    /// <summary>
    /// One forward pass with PyTorch's <c>_BatchNorm</c> rules. In training, updates
    /// <paramref name="runningMean"/>, <paramref name="runningVar"/> and <paramref name="numBatchesTracked"/>
    /// in place when given.
    /// </summary>
    public static Tensor Forward(
        Tensor input,
        Tensor? weight,
        Tensor? bias,
        Tensor? runningMean,
        Tensor? runningVar,
        ref long numBatchesTracked,
        bool training,
        double momentum = BatchNormDefaults.Momentum,
        bool cumulativeAverage = false,
        double eps = BatchNormDefaults.Epsilon)
    {
        bool tracking = runningMean is not null && runningVar is not null;
        Tensor mean;
        Tensor variance;
        if (training || !tracking)
        {
            if (input.NumberOfElements / input.size(1) <= 1)
                throw new ArgumentException("Expected more than 1 value per channel when training.", nameof(input));

            var batch = BatchStatistics(input);
            mean = batch.Mean;
            variance = batch.BiasedVariance;

            if (training && tracking)
            {
                numBatchesTracked++;
                double factor = cumulativeAverage ? 1.0 / numBatchesTracked : momentum;
                using var noGrad = torch.no_grad();
                // running = (1 − factor) · running + factor · batch, with the unbiased batch variance.
                runningMean!.mul_(1 - factor).add_(batch.Mean.detach() * factor);
                runningVar!.mul_(1 - factor).add_(batch.UnbiasedVariance.detach() * factor);
            }
        }
        else
        {
            mean = runningMean!;
            variance = runningVar!;
        }

        // x̂ = (x − mean) / sqrt(var + eps); y = weight · x̂ + bias
        var normalized = (input - Broadcast(mean, input)) / Broadcast((variance + eps).sqrt(), input);
        if (weight is not null)
            normalized = normalized * Broadcast(weight, input);
        if (bias is not null)
            normalized = normalized + Broadcast(bias, input);
        return normalized;
    }

    /// <summary>[C] viewed as [1, C, 1, ...] so it broadcasts against [N, C, ...].</summary>
    private static Tensor Broadcast(Tensor perChannel, Tensor like) => perChannel.reshape(ChannelLayout.BroadcastShape(like));
}
