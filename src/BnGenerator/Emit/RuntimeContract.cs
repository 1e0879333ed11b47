using BnGen.Generator.Model;

namespace BnGen.Generator.Emit;

/// <summary>
/// What generated code relies on in BnRuntime, by name: the generator does not reference the runtime, so
/// these strings are the contract, and BnGenerator.Tests' RuntimeContractTests checks each against the runtime.
/// </summary>
internal static class RuntimeContract
{
    public const string Site = "global::BnGen.BatchNormSite";
    public const string Folding = "global::BnGen.BatchNormFolding";
    public const string Fusion = "global::BnGen.BatchNormFusion";
    public const string Support = "global::BnGen.GeneratedNetworkSupport";
    public const string FusableInterface = "global::BnGen.IBatchNormFusable";

    /// <summary>The state_dict key a fused network adds; the runtime's GeneratedNetworkSupport.FusedMarkerKey.</summary>
    public const string FusedMarkerKey = "bngen_fused";

    public const string Dense = "ForwardDense";
    public const string Conv1d = "ForwardConv1d";
    public const string Conv2d = "ForwardConv2d";
    public const string Conv3d = "ForwardConv3d";

    /// <summary>The BatchNormSite method generated code calls after each kind of layer.</summary>
    public static string EntryPoint(LayerKind kind) => kind.SiteInput() switch
    {
        LayerKind.Linear => Dense,
        LayerKind.Conv1d => Conv1d,
        LayerKind.Conv2d => Conv2d,
        LayerKind.Conv3d => Conv3d,
        _ => throw new System.ArgumentOutOfRangeException(nameof(kind), kind, "no site follows this kind of layer"),
    };
}
