namespace BnGen.Generator.Emit;

/// <summary>
/// What generated code relies on in BnRuntime, by name: the generator does not reference the runtime, so
/// these strings are the contract, and BnGenerator.Tests' RuntimeContractTests checks each against the runtime
/// (public, documented, with the signatures the emitter calls).
/// </summary>
internal static class RuntimeContract
{
    public const string Site = "global::BnGen.BatchNormSite";
    public const string Network = "global::BnGen.BatchNormNetwork";
    public const string Chain = "global::BnGen.ForwardChain";
    public const string FusableInterface = "global::BnGen.IBatchNormFusable";

    /// <summary>The optional base class that implements what the emitter otherwise writes as delegating members; the parser's KnownTypes.BatchNormalizedModule.</summary>
    public const string RuntimeBase = "global::BnGen.BatchNormalizedModule";

    /// <summary>The BatchNormSite factory that makes a site after a layer: <c>BatchNormSite.After(layer, name, options…)</c>.</summary>
    public const string SiteFactory = "After";

    /// <summary>The state_dict key a fused network adds; the runtime's BatchNormNetwork.FusedMarkerKey.</summary>
    public const string FusedMarkerKey = "bngen_fused";
}
