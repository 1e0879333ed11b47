using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>
/// Finds the layers of a [BatchNormalized] class: every instance field of type Module&lt;Tensor, Tensor&gt; declared
/// in the class, in declaration order, with its site decided. Every other member that a hand-written network
/// would register (module properties, Parameter and Tensor fields, fields of other module types, module fields of
/// a base class) is a diagnostic, never silently left out.
/// </summary>
internal static class LayerReader
{
    /// <summary>A layer field and what its attributes ask for, before sites are decided.</summary>
    internal readonly record struct LayerField(IFieldSymbol Field, LayerKind Kind, AttributeData? BatchNorm, bool NoBatchNorm, string RegisteredName, Registration Registration = Registration.Module);

    /// <param name="ownForward">
    /// The class writes its own forward: Parameter, Tensor and other module fields (ModuleList, ModuleDict, …) are then
    /// registered as TorchSharp's RegisterComponents() would, for that forward to use; and declaration order is no
    /// forward order, so layers may sit in several partial declarations.
    /// </param>
    public static List<LayerField> ReadFields(INamedTypeSymbol type, KnownTypes known, bool ownForward, DiagnosticList diagnostics, CancellationToken cancellationToken)
    {
        var fields = new List<LayerField>();
        foreach (var member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (member is not IFieldSymbol field || field.IsStatic || field.IsConst)
                continue;

            var batchNorm = field.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownTypes.BatchNormAttribute);
            bool noBatchNorm = field.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == KnownTypes.NoBatchNormAttribute);

            if (field.IsImplicitlyDeclared)
            {
                // The backing field of an auto-property: a layer declared as a property.
                if (field.AssociatedSymbol is IPropertySymbol property && Describe(property.Type, known) is { } what)
                {
                    diagnostics.Add(DiagnosticDescriptors.UnsupportedMember, property.Locations.FirstOrDefault(),
                        property.Name, what + " property", type.Name, "Declare it as a field.");
                }

                continue;
            }

            var kind = LayerClassifier.Classify(field.Type, known);
            if (kind is null && ownForward && OwnForwardRegistration(field.Type, known) is { } registration)
            {
                if (batchNorm is not null || noBatchNorm)
                    diagnostics.Add(DiagnosticDescriptors.AttributeOnNonLayer, field.Locations.FirstOrDefault(), field.Name, batchNorm is not null ? "BatchNorm" : "NoBatchNorm");
                fields.Add(new LayerField(field, LayerKind.Other, null, false, RegisteredName(field), registration));
                continue;
            }

            if (kind is null)
            {
                if (Describe(field.Type, known) is { } what)
                    diagnostics.Add(DiagnosticDescriptors.UnsupportedMember, field.Locations.FirstOrDefault(), field.Name, what + " field", type.Name, Advice(field.Type, known));
                else if (batchNorm is not null || noBatchNorm)
                    diagnostics.Add(DiagnosticDescriptors.AttributeOnNonLayer, field.Locations.FirstOrDefault(), field.Name, batchNorm is not null ? "BatchNorm" : "NoBatchNorm");
                continue;
            }

            if (!kind.Value.CanBeFollowedBySite() && (batchNorm is not null || noBatchNorm))
                diagnostics.Add(DiagnosticDescriptors.AttributeOnNonLayer, field.Locations.FirstOrDefault(), field.Name, batchNorm is not null ? "BatchNorm" : "NoBatchNorm");

            fields.Add(new LayerField(field, kind.Value, batchNorm, noBatchNorm, RegisteredName(field)));
        }

        CheckInherited(type, known, diagnostics);
        if (!ownForward)
            CheckOneDeclaration(type, fields, diagnostics);
        return fields;
    }

    /// <summary>How a field your own forward may use is registered; null for types RegisterComponents() skips too.</summary>
    private static Registration? OwnForwardRegistration(ITypeSymbol type, KnownTypes known)
    {
        if (KnownTypes.DerivesFrom(type, known.Parameter))
            return Registration.Parameter;
        if (KnownTypes.DerivesFrom(type, known.Tensor))
            return Registration.Buffer;
        if (KnownTypes.DerivesFrom(type, known.Module))
            return Registration.Module;
        return null;
    }

    /// <summary>The name TorchSharp registers a field under: its [ComponentName(Name = ...)] or the field's name.</summary>
    private static string RegisteredName(IFieldSymbol field)
    {
        var componentName = field.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownTypes.ComponentNameAttribute);
        if (componentName is null)
            return field.Name;
        foreach (var argument in componentName.NamedArguments)
        {
            if (argument.Key == "Name" && argument.Value.Value is string { Length: > 0 } name)
                return name;
        }

        return field.Name;
    }

    /// <summary>What a member of this type would be in a hand-written network ("a Parameter"), or null when nothing.</summary>
    private static string? Describe(ITypeSymbol type, KnownTypes known)
    {
        if (known.IsTensorModule(type))
            return "a Module<Tensor, Tensor>";
        if (KnownTypes.DerivesFrom(type, known.Parameter))
            return "a Parameter";
        if (KnownTypes.DerivesFrom(type, known.Tensor))
            return "a Tensor";
        if (KnownTypes.DerivesFrom(type, known.Module))
            return $"a {type.Name} module, not a Module<Tensor, Tensor>,";
        if (type is IArrayTypeSymbol array && Describe(array.ElementType, known) is not null)
            return "an array of modules or tensors";
        if (type is INamedTypeSymbol { IsGenericType: true } generic && generic.TypeArguments.Any(t => Describe(t, known) is not null))
            return $"a {generic.Name} of modules or tensors";
        return null;
    }

    private static string Advice(ITypeSymbol type, KnownTypes known)
    {
        if (KnownTypes.DerivesFrom(type, known.Tensor))
            return "A hand-written TorchSharp network would register it as a parameter or buffer and use it in its own forward; BnGen's generated forward has no place for it. Move it into a module of its own, or remove [BatchNormalized] and write the network by hand.";
        if (type is IArrayTypeSymbol || type is INamedTypeSymbol { IsGenericType: true })
            return "Hold the layers in a Sequential field, or declare each layer as a field of its own.";
        return "Wrap it in a Module<Tensor, Tensor>, or remove [BatchNormalized] and write the network by hand.";
    }

    /// <summary>Module and tensor fields of a user base class are not chained: say so instead of dropping them.</summary>
    private static void CheckInherited(INamedTypeSymbol type, KnownTypes known, DiagnosticList diagnostics)
    {
        for (var baseType = type.BaseType; baseType is not null && !KnownTypes.IsTorchSharpType(baseType); baseType = baseType.BaseType)
        {
            foreach (var field in baseType.GetMembers().OfType<IFieldSymbol>())
            {
                if (field.IsStatic || field.IsConst)
                    continue;
                var member = field.AssociatedSymbol ?? field;
                if (Describe(field.Type, known) is not { } what)
                    continue;
                diagnostics.Add(DiagnosticDescriptors.UnsupportedMember, member.Locations.FirstOrDefault(),
                    member.Name, $"{what} member of the base class '{baseType.Name}'", type.Name,
                    "Declare the layers in the [BatchNormalized] class itself, or derive it directly from Module<Tensor, Tensor>.");
            }
        }
    }

    /// <summary>Forward order is declaration order; across partial declarations in different files that order is the compiler's, not the user's.</summary>
    private static void CheckOneDeclaration(INamedTypeSymbol type, List<LayerField> fields, DiagnosticList diagnostics)
    {
        var trees = new List<SyntaxTree>();
        foreach (var layer in fields)
        {
            foreach (var reference in layer.Field.DeclaringSyntaxReferences)
            {
                if (!trees.Contains(reference.SyntaxTree))
                    trees.Add(reference.SyntaxTree);
            }
        }

        if (trees.Count < 2)
            return;
        var files = string.Join(", ", trees.Select(t => string.IsNullOrEmpty(t.FilePath) ? "<unnamed>" : Path.GetFileName(t.FilePath)));
        var second = fields.First(f => f.Field.DeclaringSyntaxReferences.Any(r => r.SyntaxTree != trees[0]));
        diagnostics.Add(DiagnosticDescriptors.LayersInSeveralDeclarations, second.Field.Locations.FirstOrDefault(), type.Name, files);
    }
}
