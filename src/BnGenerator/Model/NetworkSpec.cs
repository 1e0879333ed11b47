namespace BnGen.Generator.Model;

/// <summary>
/// Everything the emitter needs to write one network's partial class: plain values only (no symbols,
/// syntax or locations), so that the incremental pipeline can compare it and skip unchanged networks.
/// </summary>
/// <param name="Namespace">The containing namespace as C# code writes it (keywords escaped), or null for the global namespace.</param>
/// <param name="TypeName">The class name as messages show it (<c>Net</c>).</param>
/// <param name="TypeIdentifier">The class name as C# code writes it (<c>Net</c>, <c>@class</c>).</param>
/// <param name="HintName">A file name unique to this type, made only of characters every file system accepts.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="HasUserConstructor">The class declares an instance constructor: it calls InitializeBatchNorm() itself.</param>
/// <param name="HasUserForward">The class declares forward(Tensor): it calls the sites itself, and no forward is generated.</param>
/// <param name="Layers">Layer fields in declaration order, with their sites.</param>
/// <param name="DerivesFromRuntimeBase">The class derives from BnGen.BatchNormalizedModule, which implements fusion, the
/// training guard and the checkpoint rule: none of those members is generated.</param>
internal sealed record NetworkSpec(
    string? Namespace,
    string TypeName,
    string TypeIdentifier,
    string HintName,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    bool HasUserConstructor,
    bool HasUserForward,
    EquatableArray<LayerSpec> Layers,
    bool DerivesFromRuntimeBase = false);
