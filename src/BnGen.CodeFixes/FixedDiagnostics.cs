namespace BnGen.CodeFixes;

/// <summary>
/// The IDs this assembly fixes, as BnGen.Generator's DiagnosticDescriptors define them; a contract test checks that
/// they are exactly the IDs its BatchNormalizedAnalyzer reports.
/// </summary>
internal static class FixedDiagnostics
{
    public const string NotPartial = "BNG0001";
    public const string RedundantBias = "BNG0008";
    public const string ConstructorMissesInitialize = "BNG0012";
    public const string InitializeBeforeLayer = "BNG0018";
    public const string MomentumLooksLikeOldValueWeight = "BNG0020";
}
