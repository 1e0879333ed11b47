namespace BnGen;

/// <summary>
/// A network whose batch-norm sites can be folded into their layers for inference. Every
/// <see cref="BatchNormalizedAttribute"/> class implements it through its generated code, which delegates to
/// <see cref="BatchNormNetwork"/>.
/// </summary>
public interface IBatchNormFusable
{
    /// <summary>
    /// Whether <see cref="FuseBatchNorm"/> has folded the sites: they pass their input through, training is refused, and
    /// checkpoints carry the key <c>bngen_fused</c> (<see cref="BatchNormNetwork.FusedMarkerKey"/>).
    /// </summary>
    bool IsBatchNormFused { get; }

    /// <summary>
    /// Folds every batch-norm site into the layer before it, in place, for faster inference: each layer's weight and
    /// bias absorb the site's running statistics and affine parameters, and the site passes its input through from
    /// then on. Blocks and <c>Sequential</c> stages below are fused too. Call <c>eval()</c> first. Afterwards the
    /// network can no longer be trained, and its checkpoints carry the key <c>bngen_fused</c>: they load only into
    /// a network that was fused too. Runs once; later calls do nothing.
    /// </summary>
    /// <exception cref="System.InvalidOperationException">The network or a module below it is in training mode, or a
    /// site cannot be folded (the message names it); nothing was changed.</exception>
    void FuseBatchNorm();
}
