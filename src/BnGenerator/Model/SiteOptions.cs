namespace BnGen.Generator.Model;

/// <summary>The options one batch-norm site is created with (already resolved: class defaults, then the field's overrides).</summary>
/// <param name="Written">The options the user wrote, on the class or the field: the emitter spells those out even when
/// they equal PyTorch's defaults, and leaves the others to the runtime's defaults.</param>
internal readonly record struct SiteOptions(double Momentum, double Epsilon, bool Affine, bool TrackRunningStats, bool CumulativeAverage, WrittenOptions Written = WrittenOptions.None, bool KeepFloat32 = false)
{
    public static SiteOptions PyTorchDefaults => new(0.1, 1e-5, Affine: true, TrackRunningStats: true, CumulativeAverage: false);
}

/// <summary>Which options an attribute spells out.</summary>
[System.Flags]
internal enum WrittenOptions
{
    None = 0,
    Momentum = 1,
    Epsilon = 2,
    Affine = 4,
    TrackRunningStats = 8,
    CumulativeAverage = 16,
    KeepFloat32 = 32,
}
