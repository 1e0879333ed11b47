namespace BnGen;

/// <summary>
/// A network whose batch-norm sites can be folded into their layers for inference. Every
/// <see cref="BatchNormalizedAttribute"/> class implements it through its generated code.
/// </summary>
public interface IBatchNormFusable
{
    /// <summary>Whether <see cref="FuseBatchNorm"/> has folded the sites: forward skips them and training is refused.</summary>
    bool IsBatchNormFused { get; }

    /// <summary>Folds every site into the layer before it. Needs eval mode; runs once (later calls do nothing).</summary>
    void FuseBatchNorm();
}
