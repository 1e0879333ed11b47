using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// The seam through which a <see cref="BatchNormSite"/> in training combines its batch statistics with other
/// replicas of the network (other processes, each holding a slice of the global batch), so that every replica
/// normalizes with the global batch's mean and variance — PyTorch's <c>SyncBatchNorm</c>, on any transport.
/// </summary>
/// <remarks>
/// <para>
/// A site with a reducer computes its slice's per-channel moments — count, mean and M2 (sum of squared deviations
/// from the slice's mean) — and hands them to <see cref="GatherMoments"/>. The site combines the rows in replica
/// order with Chan et al.'s pairwise update, which is stable where sums of squares are not; because every replica
/// combines the same rows in the same order, all of them get bit-identical statistics and running averages.
/// </para>
/// <para>
/// In backward, the global mean and variance feed every replica's loss, so batch norm's two per-channel sums,
/// Σdy and Σdy·(x − mean), are needed over the global batch: <see cref="SumGradients"/> all-reduces those 2·C
/// values and the site turns them into the gradient of its own slice. Calls happen in the same order on every replica (forward order, then the reverse
/// in backward); an implementation should check that the replicas agree on which site and how many values.
/// </para>
/// <para>Eval mode never calls the reducer: the running statistics are already identical on every replica.</para>
/// </remarks>
public interface IBatchStatisticsReducer
{
    /// <summary>
    /// Gathers every replica's moments for <paramref name="site"/>.
    /// </summary>
    /// <param name="site">The site asking; its <see cref="BatchNormSite.NumFeatures"/> is C.</param>
    /// <param name="localMoments">This replica's moments: a contiguous float64 CPU vector of 2·C + 1 values,
    /// <c>[count, mean_0 … mean_{C−1}, m2_0 … m2_{C−1}]</c>.</param>
    /// <returns>A float64 CPU tensor <c>[replicas, 2·C + 1]</c>, one row per replica in replica order, identical on
    /// every replica (this replica's row included).</returns>
    Tensor GatherMoments(BatchNormSite site, Tensor localMoments);

    /// <summary>
    /// Replaces <paramref name="gradients"/> by its sum over all replicas, in place.
    /// </summary>
    /// <param name="site">The site whose backward runs.</param>
    /// <param name="gradients">A contiguous float64 CPU vector of 2·C values: this replica's Σdy per channel, then
    /// its Σdy·(x − mean), dy being the gradient with respect to the site's output.</param>
    void SumGradients(BatchNormSite site, Tensor gradients);

    /// <summary>
    /// The global batch size — the sum of every replica's <paramref name="localBatchSize"/> — so that a network can
    /// refuse a training batch of one sample before any of its sites changes its statistics, as one process does. Called
    /// once per training forward, on every replica, before the first site.
    /// </summary>
    /// <param name="site">The network's first dense site (the one a batch of one would reach).</param>
    /// <param name="localBatchSize">This replica's batch size (dimension 0 of the network's input).</param>
    /// <returns>The global batch size; null when the transport cannot tell, and then the first dense site refuses a
    /// global batch of one itself (after the sites before it have run).</returns>
    long? GlobalBatchSize(BatchNormSite site, long localBatchSize) => null;
}
