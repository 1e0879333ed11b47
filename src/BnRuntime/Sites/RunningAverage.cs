using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>PyTorch's rule for the weight of a training batch in the running statistics.</summary>
internal static class RunningAverage
{
    // A C# number passed to a TorchSharp operator becomes a native Scalar that dispose scopes do not track;
    // one shared Scalar for the counter increment keeps the hot path from allocating native memory.
    private static readonly Scalar One = 1L;

    /// <summary>
    /// Counts one more training batch in <paramref name="numBatchesTracked"/> (when the site keeps it) and returns
    /// the new batch's weight: 1 / batches seen for a cumulative average (PyTorch's <c>momentum=None</c>), else
    /// <paramref name="momentum"/>.
    /// </summary>
    public static double CountBatch(Tensor? numBatchesTracked, double momentum, bool cumulativeAverage)
    {
        if (numBatchesTracked is null)
            return momentum;
        numBatchesTracked.add_(One);
        if (!cumulativeAverage)
            return momentum;
        // A cumulative average needs the count on the host every step, as PyTorch's does (a device sync on a GPU).
        // TorchSharp's item() copies a device tensor to the CPU and leaves the copy to the finalizer: copy and free here.
        if (numBatchesTracked.device_type == DeviceType.CPU)
            return 1.0 / numBatchesTracked.item<long>();
        using var host = numBatchesTracked.cpu();
        return 1.0 / host.item<long>();
    }
}
