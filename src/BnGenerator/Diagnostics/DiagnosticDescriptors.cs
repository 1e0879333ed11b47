using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator reports. IDs are stable, and docs/diagnostics.md explains each (a test checks every ID has its section there).
/// No help link: BnGen has no public documentation site yet, and a link must lead to a real page; the message
/// names what is wrong and what to do.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "BnGen";

    private static DiagnosticDescriptor Create(string id, string title, string message, DiagnosticSeverity severity) =>
        new(id, title, message, Category, severity, isEnabledByDefault: true);

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
        "'{0}' has no Linear, Conv or ConvTranspose layer field before its last layer and no Sequential or module field that could hold sites, so [BatchNormalized] adds no batch normalization; add [BatchNorm] to a layer or remove the attribute",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor SiteNeverCalled = Create(
        "BNG0005",
        "Your forward never calls a batch-norm site",
        "'{0}' writes its own forward, which never uses the batch-norm site '{1}' after '{2}'; call it on that layer's output (e.g. {1}.call({2}.call(x))), or put [NoBatchNorm] on '{2}'",
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
        "'{0}' is not a Linear, Conv or ConvTranspose layer, so [{1}] on it has no effect",
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

    public static readonly DiagnosticDescriptor SiteNameClash = Create(
        "BNG0013",
        "A batch-norm site's name is already taken",
        "The batch-norm site after '{0}' would be named '{1}', but {2} already uses that name; rename one of them, or name the site with [BatchNorm(Name = \"...\")]",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor ReservedMember = Create(
        "BNG0014",
        "A member name BnGen generates is already taken",
        "'{0}' declares '{1}', which BnGen generates for [BatchNormalized] classes ({2}); rename it",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor UnsupportedMember = Create(
        "BNG0015",
        "A module or tensor member the generated forward would leave out",
        "'{0}' is {1}, which the generated forward cannot use: it chains only the Module<Tensor, Tensor> fields declared in '{2}' itself. {3}",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor LayersInSeveralDeclarations = Create(
        "BNG0016",
        "Layer fields are split over several partial declarations",
        "The layer fields of '{0}' are declared in more than one partial declaration ({1}), so their forward order would depend on the order the compiler reads the files in; declare every layer field in one declaration",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor PrimaryConstructor = Create(
        "BNG0017",
        "A [BatchNormalized] class cannot have a primary constructor",
        "'{0}' has a primary constructor, which cannot call InitializeBatchNorm() after its layers are assigned; declare an ordinary constructor that assigns the layers and then calls InitializeBatchNorm()",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor InitializeBeforeLayer = Create(
        "BNG0018",
        "InitializeBatchNorm() is called before a layer is assigned",
        "The constructor of '{0}' calls InitializeBatchNorm() before it assigns '{1}'; call InitializeBatchNorm() last, after every layer field is assigned",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor RankMismatch = Create(
        "BNG0019",
        "Convolutions of different ranks in a chain",
        "'{0}' is a {1} and expects a {2} input, but '{3}' before it is a {4} and produces a {5} one",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor MomentumLooksLikeOldValueWeight = Create(
        "BNG0020",
        "Momentum looks like the weight of the old running value",
        "Momentum = {0} on '{1}' is the weight of the new batch value (PyTorch's convention), so the running statistics keep only {2} of their old value per batch; if {0} is the weight of the old value, as in Keras and many tutorials, write Momentum = {3} (BatchNormDefaults.MomentumFromOldValueWeight({0})), otherwise suppress BNG0020",
        DiagnosticSeverity.Warning);

    public static readonly DiagnosticDescriptor SiteOnOtherOutput = Create(
        "BNG0021",
        "A batch-norm site is applied to another layer's output",
        "'{0}' is the batch-norm site of '{1}', but forward applies it to the output of '{2}'; call {0} on the output of {1}, or name the sites so that each follows its own layer",
        DiagnosticSeverity.Error);

    public static readonly DiagnosticDescriptor PoolingAfterDense = Create(
        "BNG0022",
        "Pooling after a dense layer in the generated forward",
        "'{0}' is {1} pooling, but the generated forward gives it the [N, C] output of '{2}', which it cannot take: the generated forward runs each field once, in declaration order. A network that calls one pooling or activation module several times (as PyTorch's LeNet tutorial does) needs its own forward, or one field per use in running order",
        DiagnosticSeverity.Error);

    /// <summary>Every descriptor, for tests that check IDs are unique and documented.</summary>
    public static readonly DiagnosticDescriptor[] All =
    {
        NotPartial, NotATensorModule, UnsupportedTypeShape, NoBatchNormSite, SiteNeverCalled, SizeMismatch, LinearAfterConv,
        RedundantBias, InvalidOption, ContradictoryOptions, AttributeOnNonLayer, ConstructorMissesInitialize,
        SiteNameClash, ReservedMember, UnsupportedMember, LayersInSeveralDeclarations, PrimaryConstructor,
        InitializeBeforeLayer, RankMismatch, MomentumLooksLikeOldValueWeight, SiteOnOtherOutput, PoolingAfterDense, InternalError,
    };

    /// <summary>
    /// The diagnostics with a code fix (BnGen.CodeFixes), reported by <see cref="BatchNormalizedAnalyzer"/> rather
    /// than by the generator: the editor offers fixes for analyzer diagnostics only. The generator still refuses what
    /// they describe (a class that is not partial gets no code), it just does not report them.
    /// </summary>
    public static readonly ImmutableHashSet<string> ReportedByAnalyzer = ImmutableHashSet.Create(NotPartial.Id, RedundantBias.Id, ConstructorMissesInitialize.Id, InitializeBeforeLayer.Id, MomentumLooksLikeOldValueWeight.Id);
}
