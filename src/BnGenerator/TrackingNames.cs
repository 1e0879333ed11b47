namespace BnGen.Generator;

/// <summary>Names of the incremental pipeline's steps, so tests can check what was cached.</summary>
public static class TrackingNames
{
    /// <summary>Each [BatchNormalized] class parsed into a model and diagnostics.</summary>
    public const string Parse = nameof(Parse);

    /// <summary>The models of the networks to emit.</summary>
    public const string Networks = nameof(Networks);

    /// <summary>The diagnostics to report.</summary>
    public const string Diagnostics = nameof(Diagnostics);
}
