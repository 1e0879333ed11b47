using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>
/// Turns one [BatchNormalized] class into a <see cref="NetworkSpec"/> and its diagnostics. Everything that
/// needs symbols or syntax happens here; what leaves is plain values.
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
            var diagnostic = DiagnosticInfo.Create(DiagnosticDescriptors.InternalError, context.TargetNode.GetLocation(), type?.Name ?? "?", e.GetType().Name + ": " + e.Message);
            return new ParseResult(null, new[] { diagnostic }.ToEquatableArray());
        }
    }

    private static ParseResult ParseCore(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not ClassDeclarationSyntax declaration || context.Attributes.Length == 0)
            return new ParseResult(null, EquatableArray<DiagnosticInfo>.Empty);

        var attribute = context.Attributes[0];
        var attributeLocation = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? declaration.Identifier.GetLocation();
        var compilation = context.SemanticModel.Compilation;
        var known = KnownTypes.From(compilation);

        bool fatal = CheckTypeShape(type, declaration, known, attributeLocation, diagnostics, cancellationToken);
        var classOptions = OptionReader.Read(attribute, SiteOptions.PyTorchDefaults, type.Name, diagnostics, cancellationToken);
        var layers = ReadLayers(type, known, classOptions, compilation, diagnostics, cancellationToken);

        if (!layers.Any(l => l.Site is not null) && !fatal)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoBatchNormSite, attributeLocation, type.Name));

        bool hasUserConstructor = CheckConstructors(type, diagnostics, cancellationToken);
        if (fatal || diagnostics.Any(d => DiagnosticDescriptors.ById(d.DescriptorId).DefaultSeverity == DiagnosticSeverity.Error))
            return new ParseResult(null, diagnostics.ToEquatableArray());

        var network = new NetworkSpec(
            type.ContainingNamespace is { IsGlobalNamespace: false } ns ? ns.ToDisplayString() : null,
            type.Name,
            ContainingTypes(type),
            hasUserConstructor,
            layers.ToEquatableArray());
        return new ParseResult(network, diagnostics.ToEquatableArray());
    }

    /// <summary>Partial, a tensor module, not generic, nested only in partial non-generic types, no forward of its own.</summary>
    private static bool CheckTypeShape(INamedTypeSymbol type, ClassDeclarationSyntax declaration, KnownTypes known, Location location, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        bool fatal = false;
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotPartial, location, type.Name));
            fatal = true;
        }

        if (!known.IsTensorModule(type))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotATensorModule, location, type.Name));
            fatal = true;
        }

        if (type.TypeParameters.Length > 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape, location, type.Name, "generic network classes are not supported; derive a non-generic class from it and put [BatchNormalized] there"));
            fatal = true;
        }

        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape, location, type.Name, $"it is nested in the generic type '{outer.Name}'"));
                fatal = true;
            }
            else if (!outer.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword)))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedTypeShape, location, type.Name, $"it is nested in '{outer.Name}', which is not partial; declare '{outer.Name}' partial"));
                fatal = true;
            }
        }

        foreach (var forward in type.GetMembers("forward").OfType<IMethodSymbol>())
        {
            if (!forward.IsStatic && forward.Parameters.Length == 1)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UserForward, forward.Locations.FirstOrDefault(), type.Name));
                fatal = true;
            }
        }

        return fatal;
    }

    /// <summary>Every instance field whose type is a Module&lt;Tensor, Tensor&gt;, in declaration order, with its site decided.</summary>
    private static List<LayerSpec> ReadLayers(INamedTypeSymbol type, KnownTypes known, SiteOptions classOptions, Compilation compilation, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        var fields = new List<(IFieldSymbol Field, LayerKind Kind, AttributeData? BatchNorm, bool NoBatchNorm)>();
        foreach (var field in type.GetMembers().OfType<IFieldSymbol>())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (field.IsStatic || field.IsConst || field.IsImplicitlyDeclared)
                continue;

            var batchNorm = field.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownTypes.BatchNormAttribute);
            bool noBatchNorm = field.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownTypes.NoBatchNormAttribute);
            var kind = LayerClassifier.Classify(field.Type, known);
            if (kind is null || !LayerClassifier.CanBeFollowedBySite(kind.Value))
            {
                if (batchNorm is not null || noBatchNorm)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AttributeOnNonLayer, field.Locations.FirstOrDefault(), field.Name, batchNorm is not null ? "BatchNorm" : "NoBatchNorm"));
                if (kind is null)
                    continue;
            }

            fields.Add((field, kind.Value, batchNorm, noBatchNorm));
        }

        // The output layer (the last Linear/Conv) gets no site unless [BatchNorm] asks for one.
        int outputLayer = fields.FindLastIndex(f => LayerClassifier.CanBeFollowedBySite(f.Kind));
        var layers = new List<LayerSpec>();
        var chain = new ShapeChainChecker(diagnostics);
        for (int i = 0; i < fields.Count; i++)
        {
            var (field, kind, batchNorm, noBatchNorm) = fields[i];
            var location = field.Locations.FirstOrDefault();
            SiteOptions? site = null;
            if (LayerClassifier.CanBeFollowedBySite(kind))
            {
                if (batchNorm is not null && noBatchNorm)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContradictoryOptions, location, field.Name, "it has both [BatchNorm] and [NoBatchNorm]; keep one"));
                else if (batchNorm is not null)
                    site = OptionReader.Read(batchNorm, classOptions, field.Name, diagnostics, cancellationToken);
                else if (!noBatchNorm && i != outputLayer)
                    site = classOptions;
            }

            var sizes = LayerClassifier.CanBeFollowedBySite(kind) ? LayerSizes.Read(field, kind, known, compilation, cancellationToken) : LayerSizes.Unknown;
            var layer = new LayerSpec(field.Name, kind, site);
            chain.Visit(field.Name, kind, sizes, site is null ? null : layer.SiteName, location);
            if (site is not null && sizes.HasBias == true)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RedundantBias, location, field.Name, kind == LayerKind.Linear ? "hasBias: false" : "bias: false"));
            layers.Add(layer);
        }

        return layers;
    }

    /// <summary>Whether the class declares instance constructors; each that does not chain to another must call InitializeBatchNorm().</summary>
    private static bool CheckConstructors(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        bool any = false;
        foreach (var constructor in type.InstanceConstructors)
        {
            if (constructor.IsImplicitlyDeclared)
                continue;
            any = true;
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is not ConstructorDeclarationSyntax syntax)
                    continue;
                if (syntax.Initializer is { } initializer && initializer.IsKind(SyntaxKind.ThisConstructorInitializer))
                    continue;
                bool callsInitialize = syntax.DescendantNodes().OfType<InvocationExpressionSyntax>().Any(call =>
                    call.Expression is IdentifierNameSyntax { Identifier.ValueText: "InitializeBatchNorm" }
                    || call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "InitializeBatchNorm", Expression: ThisExpressionSyntax });
                if (!callsInitialize)
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConstructorMissesInitialize, syntax.Identifier.GetLocation(), type.Name));
            }
        }

        return any;
    }

    private static EquatableArray<ContainingTypeSpec> ContainingTypes(INamedTypeSymbol type)
    {
        var result = new List<ContainingTypeSpec>();
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            result.Insert(0, new ContainingTypeSpec(Keyword(outer), outer.Name));
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
