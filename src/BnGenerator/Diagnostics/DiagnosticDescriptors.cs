using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Diagnostics;

/// <summary>Every diagnostic the generator reports. IDs are stable; each has a README section behind its help link.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "BnGen";
    private const string HelpBase = "https://github.com/bngen/BnGen/blob/main/README.md#";

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true, helpLinkUri: HelpBase + id.ToLowerInvariant());

    public static readonly DiagnosticDescriptor NotPartial = Create(
        "BNG0001",
        "A [BatchNormalized] class must be partial",
        "'{0}' has [BatchNormalized] but is not partial; declare it 'partial' so BnGen can add its forward code",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NotATensorModule = Create(
        "BNG0002",
        "A [BatchNormalized] class must derive from Module<Tensor, Tensor>",
        "'{0}' has [BatchNormalized] but does not derive from TorchSharp's torch.nn.Module<Tensor, Tensor>",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedTypeShape = Create(
        "BNG0003",
        "Generic or non-partially nested [BatchNormalized] classes are not supported",
        "'{0}' cannot get generated code: {1}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor NoBatchNormSite = Create(
        "BNG0004",
        "No layer a batch-norm site can follow",
        "'{0}' has no Linear or Conv layer field before its last layer, so [BatchNormalized] adds no batch normalization; add [BatchNorm] to a layer or remove the attribute",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor UserForward = Create(
        "BNG0005",
        "A [BatchNormalized] class must not declare forward",
        "'{0}' declares forward(Tensor), which BnGen generates; remove it (the layer fields run in declaration order) or remove [BatchNormalized] and add BatchNormSite modules by hand",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor SizeMismatch = Create(
        "BNG0006",
        "Layer sizes do not chain",
        "'{0}' expects {1} input {2}, but '{3}' before it produces {4}{5}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LinearAfterConv = Create(
        "BNG0007",
        "Linear layer after a Conv layer without Flatten",
        "'{0}' is a Linear layer but receives the [N, C, ...] output of '{1}'; declare a Flatten field between them",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor RedundantBias = Create(
        "BNG0008",
        "Bias before batch normalization is redundant",
        "'{0}' has a bias, but the batch-norm site after it subtracts the mean and adds its own bias (beta); create it without one ({1}) to save parameters",
        DiagnosticSeverity.Info);

    public static readonly DiagnosticDescriptor InvalidOption = Create(
        "BNG0009",
        "Invalid batch-norm option",
        "{0} on '{1}' is {2}; {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ContradictoryOptions = Create(
        "BNG0010",
        "Contradictory batch-norm options",
        "'{0}': {1}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor AttributeOnNonLayer = Create(
        "BNG0011",
        "[BatchNorm] or [NoBatchNorm] on a field no site can follow",
        "'{0}' is not a Linear or Conv layer, so [{1}] on it has no effect",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor ConstructorMissesInitialize = Create(
        "BNG0012",
        "Constructor must call InitializeBatchNorm()",
        "The constructor of '{0}' must call InitializeBatchNorm() after assigning its layers; BnGen generates that method to create the batch-norm sites and register every module",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InternalError = Create(
        "BNG0099",
        "BnGen could not generate code",
        "BnGen could not generate code for '{0}': {1}. Please report this with the class's source.",
        DiagnosticSeverity.Warning);

    private static readonly DiagnosticDescriptor[] All =
    {
        NotPartial, NotATensorModule, UnsupportedTypeShape, NoBatchNormSite, UserForward, SizeMismatch, LinearAfterConv,
        RedundantBias, InvalidOption, ContradictoryOptions, AttributeOnNonLayer, ConstructorMissesInitialize, InternalError,
    };

    public static DiagnosticDescriptor ById(string id)
    {
        foreach (var descriptor in All)
        {
            if (descriptor.Id == id)
                return descriptor;
        }

        return InternalError;
    }
}
