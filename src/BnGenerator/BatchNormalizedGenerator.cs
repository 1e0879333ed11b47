using System.Linq;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Emit;
using BnGen.Generator.Model;
using BnGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace BnGen.Generator;

/// <summary>
/// Writes the constructor, <c>forward</c>, <c>FuseBatchNorm</c> and batch-norm sites of every partial
/// TorchSharp network class marked <c>[BatchNormalized]</c>. This file is the pipeline only: parsing is in
/// <see cref="NetworkParser"/>, emitting in <see cref="NetworkEmitter"/>.
/// </summary>
/// <remarks>
/// Source and diagnostics are two outputs of the parse: the source output sees only the equatable model and
/// is skipped while the model is unchanged; the diagnostics output keeps real source locations, so that
/// <c>#pragma warning disable BNG....</c> applies to them.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class BatchNormalizedGenerator : IIncrementalGenerator
{
    private static readonly string Version = typeof(BatchNormalizedGenerator).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var parsed = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownTypes.BatchNormalizedAttribute,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: NetworkParser.Parse)
            .WithTrackingName(TrackingNames.Parse);

        var networks = parsed
            .Select(static (result, _) => result.Network)
            .WithTrackingName(TrackingNames.Networks);

        // The diagnostics that have code fixes are reported by BatchNormalizedAnalyzer, from the same parse.
        var diagnostics = parsed
            .SelectMany(static (result, _) => result.Diagnostics.Where(static d => !DiagnosticDescriptors.ReportedByAnalyzer.Contains(d.Id)))
            .WithTrackingName(TrackingNames.Diagnostics);

        context.RegisterSourceOutput(networks, static (output, network) =>
        {
            if (network is not null)
                output.AddSource(network.HintName, SourceText.From(NetworkEmitter.Emit(network, Version), System.Text.Encoding.UTF8));
        });

        context.RegisterSourceOutput(diagnostics, static (output, diagnostic) => output.ReportDiagnostic(diagnostic));
    }
}
