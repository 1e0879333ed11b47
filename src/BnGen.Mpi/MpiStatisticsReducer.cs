using static TorchSharp.torch;

namespace BnGen.Mpi;

/// <summary>
/// A site's <see cref="IBatchStatisticsReducer"/> over MPI: moments gathered from every rank, gradients summed.
/// Created by <see cref="SyncBatchNorm.Convert"/>, one per site, labelled with the site's path so that a
/// mismatch between ranks names it.
/// </summary>
internal sealed class MpiStatisticsReducer(MpiWorld world, string path) : IBatchStatisticsReducer
{
    public Tensor GatherMoments(BatchNormSite site, Tensor localMoments) =>
        world.AllGather(localMoments, $"statistics of '{path}' (C={site.NumFeatures})");

    public void SumGradients(BatchNormSite site, Tensor gradients) =>
        world.AllReduceSum(gradients, $"statistics gradient of '{path}' (C={site.NumFeatures})");

    public long? GlobalBatchSize(BatchNormSite site, long localBatchSize)
    {
        using var size = tensor(new[] { localBatchSize });
        world.AllReduceSum(size, $"global batch before '{path}'");
        return size.item<long>();
    }
}
