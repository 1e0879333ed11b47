using System;
using System.Collections.Immutable;
using System.Linq;
using BnGen.Generator.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace BnGen.Generator.Diagnostics;

/// <summary>
/// Reports the diagnostics whose repair is mechanical (<see cref="DiagnosticDescriptors.ReportedByAnalyzer"/>), so that
/// the editor's light bulb offers BnGen.CodeFixes' repair: the IDE offers code fixes for analyzer diagnostics, not for
/// a generator's. It runs the generator's own parser on each [BatchNormalized] class, so the ID, location, message
/// and <c>#pragma</c> behaviour of each diagnostic are exactly what the generator reported before; the generator
/// leaves these IDs to it.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BatchNormalizedAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        DiagnosticDescriptors.All.Where(d => DiagnosticDescriptors.ReportedByAnalyzer.Contains(d.Id)).ToImmutableArray();

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterSymbolAction(Analyze, SymbolKind.NamedType);
    }

    private static void Analyze(SymbolAnalysisContext context)
    {
        if (context.Symbol is not INamedTypeSymbol type)
            return;
        foreach (var attribute in type.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != KnownTypes.BatchNormalizedAttribute
                || attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).FirstAncestorOrSelf<ClassDeclarationSyntax>() is not { } declaration)
                continue;
            try
            {
                var result = NetworkParser.Parse(type, declaration, attribute, context.Compilation, context.CancellationToken);
                foreach (var diagnostic in result.Diagnostics)
                {
                    if (DiagnosticDescriptors.ReportedByAnalyzer.Contains(diagnostic.Id))
                        context.ReportDiagnostic(diagnostic);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Never throw into the compiler; the generator parses the same class and reports BNG0099 for it.
            }
        }
    }
}
