using System;

namespace BnGen;

/// <summary>
/// Asks the BnGen source generator to write this network's constructor and <c>forward</c>: the declared
/// layer fields run in declaration order, with a batch-normalization site after each Linear and Conv layer
/// except the last layer of the class.
/// </summary>
/// <remarks>
/// The class must be <c>partial</c>, derive from <c>torch.nn.Module&lt;Tensor, Tensor&gt;</c> and declare its
/// layers as fields. Options set here apply to every site; <see cref="BatchNormAttribute"/> on a layer field
/// overrides them for that site. Defaults are PyTorch's.
/// </remarks>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class BatchNormalizedAttribute : Attribute
{
    /// <summary>
    /// Weight of the new batch statistic in the running averages (PyTorch convention, default 0.1):
    /// <c>running = (1 - Momentum) * running + Momentum * batch</c>. Must be in (0, 1].
    /// A formula that writes momentum as the weight of the old value (e.g. 0.9) means <c>1 - that</c> here.
    /// </summary>
    public double Momentum { get; set; } = BatchNormDefaults.Momentum;

    /// <summary>Added to the variance before the square root (default 1e-5). Must be positive.</summary>
    public double Epsilon { get; set; } = BatchNormDefaults.Epsilon;

    /// <summary>Whether each site learns a per-channel scale (<c>weight</c>) and shift (<c>bias</c>). Default true.</summary>
    public bool Affine { get; set; } = true;

    /// <summary>
    /// Whether each site keeps <c>running_mean</c>, <c>running_var</c> and <c>num_batches_tracked</c> and uses
    /// them in eval mode. When false, batch statistics are used in eval mode too. Default true.
    /// </summary>
    public bool TrackRunningStats { get; set; } = true;

    /// <summary>
    /// Use a cumulative moving average (factor 1/num_batches_tracked) instead of <see cref="Momentum"/>;
    /// PyTorch's <c>momentum=None</c>. Requires <see cref="TrackRunningStats"/>.
    /// </summary>
    public bool CumulativeAverage { get; set; }

    /// <summary>
    /// Keep the sites' γ/β and running statistics in float32 when the network is converted to float16 or bfloat16
    /// (mixed precision, as PyTorch's recipes keep batch norm); see <see cref="BatchNormSite.KeepsFloat32"/>.
    /// </summary>
    public bool KeepFloat32 { get; set; }
}
