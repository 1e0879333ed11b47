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
    // A C# number passed to a TorchSharp operator becomes a native Scalar that dispose scopes do not track;
    // one shared Scalar for the counter increment keeps the hot path from allocating native memory.
    private static readonly Scalar One = 1L;

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
        double averagingFactor = momentum;
        if (training && numBatchesTracked is not null)
        {
            numBatchesTracked.add_(One);
            if (cumulativeAverage)
                averagingFactor = 1.0 / numBatchesTracked.item<long>();
        }

        // Batch statistics in training, and in eval when there are no running statistics to use.
        bool useBatchStatistics = training || runningMean is null;
        return nn.functional.batch_norm(input, runningMean, runningVar, weight, bias, useBatchStatistics, averagingFactor, eps);
    }
}
