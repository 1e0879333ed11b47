using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// The fast path: PyTorch's <c>_BatchNorm.forward</c> decisions around one call to ATen's fused
/// <c>batch_norm</c> kernel, which computes the statistics, updates the running averages in place (with the
/// unbiased variance, n = values per channel) and normalizes, all without autograd history on the buffers.
/// </summary>
internal static class BatchNormKernel
{
    public static Tensor Apply(
        Tensor input,
        Tensor? weight,
        Tensor? bias,
        Tensor? runningMean,
        Tensor? runningVar,
        Tensor? numBatchesTracked,
        bool training,
        double momentum,
        bool cumulativeAverage,
        double eps)
    {
        double averagingFactor = training ? RunningAverage.CountBatch(numBatchesTracked, momentum, cumulativeAverage) : momentum;

        // Batch statistics in training, and in eval when there are no running statistics to use.
        bool useBatchStatistics = training || runningMean is null;
        return nn.functional.batch_norm(input, runningMean, runningVar, weight, bias, useBatchStatistics, averagingFactor, eps);
    }
}
