using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>
/// Turns one [BatchNormalized] class into a <see cref="NetworkSpec"/> and its diagnostics. Everything that
/// needs symbols or syntax happens here; what leaves is plain values (and diagnostics on real locations).
/// </summary>
internal static class NetworkParser
{
    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = context.TargetSymbol as INamedTypeSymbol;
        try
        {
            return ParseCore(context, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Never throw into the compiler: broken code in the editor must not fail the build with CS8785.
            var diagnostic = Diagnostic.Create(DiagnosticDescriptors.InternalError, context.TargetNode.GetLocation(), type?.Name ?? "?", e.GetType().Name + ": " + e.Message);
            return new ParseResult(null, new[] { diagnostic }.ToEquatableArray());
        }
    }

    private static ParseResult ParseCore(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not ClassDeclarationSyntax declaration || context.Attributes.Length == 0)
            return new ParseResult(null, EquatableArray<Diagnostic>.Empty);
        return Parse(type, declaration, context.Attributes[0], context.SemanticModel.Compilation, cancellationToken);
    }

    /// <summary>
    /// One [BatchNormalized] class, from its symbol, the declaration that carries the attribute and the attribute:
    /// what the generator runs for each class, and what <see cref="Diagnostics.BatchNormalizedAnalyzer"/> runs to
    /// report the diagnostics that have code fixes.
    /// </summary>
    internal static ParseResult Parse(INamedTypeSymbol type, ClassDeclarationSyntax declaration, AttributeData attribute, Compilation compilation, CancellationToken cancellationToken)
    {
        // [BatchNormalized] on several partial declarations of one class (CS0579): one of them generates, once.
        if (!IsFirstApplication(type, attribute))
            return new ParseResult(null, EquatableArray<Diagnostic>.Empty);

        var attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? declaration.Identifier.GetLocation();
        var diagnostics = new DiagnosticList(attributeLocation);
        var known = KnownTypes.From(compilation);

        bool fatal = TypeShapeChecks.Check(type, declaration, known, attributeLocation, diagnostics, cancellationToken);
        GeneratedNames.CheckReserved(type, diagnostics);
        var userForward = TypeShapeChecks.UserForward(type);
        var classOptions = OptionReader.Read(attribute, SiteOptions.PyTorchDefaults, type.Name, diagnostics, cancellationToken);
        var fields = LayerReader.ReadFields(type, known, ownForward: userForward is not null, diagnostics, cancellationToken);
        var layers = DecideSites(type, fields, known, classOptions, checkChain: userForward is null, compilation, diagnostics, cancellationToken);
        if (userForward is not null && !diagnostics.HasErrors)
        {
            var locations = fields.GroupBy(f => f.Field.Name).ToDictionary(g => g.Key, g => g.First().Field.Locations.FirstOrDefault());
            ForwardUsage.Check(type, userForward, layers, locations, diagnostics, cancellationToken);
        }

        // [BatchNormalized] adds nothing only when no site is generated and no field can hold one: a Sequential or a
        // module of your own may carry hand-placed sites or blocks with sites, which FuseBatchNorm() and the guards reach.
        if (!layers.Any(l => l.Site is not null) && !fields.Any(f => MayHoldSites(f.Field.Type)) && !fatal)
            diagnostics.Add(DiagnosticDescriptors.NoBatchNormSite, attributeLocation, type.Name);

        bool hasUserConstructor = ConstructorChecks.Check(type, fields.Select(f => f.Field.Name).ToList(), diagnostics, cancellationToken);
        if (fatal || diagnostics.HasErrors)
            return new ParseResult(null, diagnostics.ToEquatableArray());

        var network = new NetworkSpec(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted)) : null,
            type.Name,
            Identifiers.Escape(type.Name),
            Identifiers.HintName(type),
            ContainingTypes(type),
            hasUserConstructor,
            userForward is not null,
            layers.ToEquatableArray(),
            KnownTypes.DerivesFrom(type.BaseType, known.RuntimeBase));
        return new ParseResult(network, diagnostics.ToEquatableArray());
    }

    /// <summary>Whether a field of this type may hold batch-norm sites: a container or a module that is not TorchSharp's own leaf layer.</summary>
    private static bool MayHoldSites(ITypeSymbol type) =>
        type is INamedTypeSymbol named && (!KnownTypes.IsTorchSharpType(named) || named.Name is "Sequential" or "Module" or "ModuleList" or "ModuleDict");

    private static bool IsFirstApplication(INamedTypeSymbol type, AttributeData attribute)
    {
        var first = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownTypes.BatchNormalizedAttribute);
        var mine = attribute.ApplicationSyntaxReference;
        var theirs = first?.ApplicationSyntaxReference;
        return mine is null || theirs is null || (mine.SyntaxTree == theirs.SyntaxTree && mine.Span == theirs.Span);
    }

    /// <summary>Which layers get a site and with what options and name; checks the chain of sizes and ranks on the way.</summary>
    /// <param name="checkChain">The generated forward runs the fields in declaration order: check sizes and ranks along it.</param>
    private static List<LayerSpec> DecideSites(INamedTypeSymbol type, List<LayerReader.LayerField> fields, KnownTypes known, SiteOptions classOptions, bool checkChain, Compilation compilation, DiagnosticList diagnostics, CancellationToken cancellationToken)
    {
        // The output layer (the last Linear/Conv) gets no site unless [BatchNorm] asks for one.
        int outputLayer = fields.FindLastIndex(f => f.Kind.CanBeFollowedBySite());
        var layers = new List<LayerSpec>();
        var chain = new ShapeChainChecker(diagnostics);
        var siteNames = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < fields.Count; i++)
        {
            var (field, kind, batchNorm, noBatchNorm, registeredName, registration) = fields[i];
            var location = field.Locations.FirstOrDefault();
            SiteOptions? site = null;
            string? siteName = null;
            if (kind.CanBeFollowedBySite())
            {
                if (batchNorm is not null && noBatchNorm)
                {
                    diagnostics.Add(DiagnosticDescriptors.ContradictoryOptions, location, field.Name, "it has both [BatchNorm] and [NoBatchNorm]; keep one");
                }
                else if (batchNorm is not null)
                {
                    site = OptionReader.Read(batchNorm, classOptions, field.Name, diagnostics, cancellationToken);
                    siteName = OptionReader.ReadName(batchNorm, field.Name, diagnostics, cancellationToken);
                }
                else if (!noBatchNorm && i != outputLayer)
                {
                    site = classOptions;
                }
            }

            if (site is not null)
            {
                siteName ??= field.Name + "_bn";
                if (GeneratedNames.TakenBy(type, siteName) is { } takenBy)
                    diagnostics.Add(DiagnosticDescriptors.SiteNameClash, location, field.Name, siteName, takenBy);
                else if (siteNames.TryGetValue(siteName, out var other))
                    diagnostics.Add(DiagnosticDescriptors.SiteNameClash, location, field.Name, siteName, $"the site after '{other}'");
                else if (fields.Any(f => f.RegisteredName == siteName))
                    diagnostics.Add(DiagnosticDescriptors.SiteNameClash, location, field.Name, siteName, "a layer registered under that name with [ComponentName]");
                siteNames[siteName] = field.Name;
            }

            var sizes = kind.CanBeFollowedBySite() ? LayerSizes.Read(field, kind, known, compilation, cancellationToken) : LayerSizes.Unknown;
            if (checkChain)
                chain.Visit(field.Name, kind, sizes, siteName, location);
            if (site is not null && sizes.HasBias == true)
                diagnostics.Add(DiagnosticDescriptors.RedundantBias, location, field.Name, kind == LayerKind.Linear ? "hasBias: false" : "bias: false");
            layers.Add(new LayerSpec(registeredName, Identifiers.Escape(field.Name), kind, site, site is null ? null : siteName, field.NullableAnnotation == NullableAnnotation.Annotated, registration, LayerAssignment.IsCertain(field, type, cancellationToken)));
        }

        return layers;
    }

    private static EquatableArray<ContainingTypeSpec> ContainingTypes(INamedTypeSymbol type)
    {
        var result = new List<ContainingTypeSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            result.Insert(0, new ContainingTypeSpec(Keyword(outer), Identifiers.Escape(outer.Name)));
        return result.ToEquatableArray();
    }

    private static string Keyword(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };
}
