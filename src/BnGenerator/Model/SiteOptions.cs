namespace BnGen.Generator.Model;

/// <summary>The options one batch-norm site is created with (already resolved: class defaults, then the field's overrides).</summary>
internal readonly record struct SiteOptions(double Momentum, double Epsilon, bool Affine, bool TrackRunningStats, bool CumulativeAverage)
{
    public static SiteOptions PyTorchDefaults => new(0.1, 1e-5, Affine: true, TrackRunningStats: true, CumulativeAverage: false);
}
