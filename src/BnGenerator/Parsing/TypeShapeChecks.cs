using System.Linq;
using System.Threading;
using BnGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>Whether a partial class can be written for this type at all: each "no" is a fatal diagnostic.</summary>
internal static class TypeShapeChecks
{
    /// <summary>Partial, a tensor module, not generic or file-local, nested only in partial non-generic types, overridable train (and forward, unless it writes its own).</summary>
    public static bool Check(INamedTypeSymbol type, ClassDeclarationSyntax declaration, KnownTypes known, Location location, DiagnosticList diagnostics, CancellationToken cancellationToken)
    {
        bool fatal = false;
        void Refuse(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, Location? where, params string[] arguments)
        {
            diagnostics.Add(descriptor, where, arguments);
            fatal = true;
        }

        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            Refuse(DiagnosticDescriptors.NotPartial, location, type.Name);

        if (!known.IsTensorModule(type))
            Refuse(DiagnosticDescriptors.NotATensorModule, location, type.Name);

        if (type.TypeParameters.Length > 0)
            Refuse(DiagnosticDescriptors.UnsupportedTypeShape, location, type.Name, "generic network classes are not supported; derive a non-generic class from it and put [BatchNormalized] there");

        if (GeneratedNames.IsGeneratedMember(type.Name))
        {
            Refuse(DiagnosticDescriptors.UnsupportedTypeShape, location, type.Name,
                $"BnGen generates a member named '{type.Name}', and a member cannot have the name of its class; rename the class");
        }

        for (var t = type; t is not null; t = t.ContainingType)
        {
            if (t.IsFileLocal)
            {
                Refuse(DiagnosticDescriptors.UnsupportedTypeShape, location, type.Name,
                    $"'{t.Name}' is a file-local type, and a generated partial declaration lives in a file of its own; remove the 'file' modifier (make it internal)");
            }
        }

        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            if (outer.IsGenericType)
                Refuse(DiagnosticDescriptors.UnsupportedTypeShape, location, type.Name, $"it is nested in the generic type '{outer.Name}'");
            else if (!outer.DeclaringSyntaxReferences.Any(r => r.GetSyntax(cancellationToken) is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword)))
                Refuse(DiagnosticDescriptors.UnsupportedTypeShape, location, type.Name, $"it is nested in '{outer.Name}', which is not partial; declare '{outer.Name}' partial");
        }

        // train(bool) and, unless the class writes its own, forward(Tensor) are overridden: a base class that seals
        // either cannot be extended this way.
        var overridden = new System.Collections.Generic.List<(string, string)> { ("train", "train(bool), which BnGen overrides to refuse training after FuseBatchNorm()") };
        if (UserForward(type) is null)
            overridden.Add(("forward", "forward(Tensor), which BnGen writes"));
        foreach (var (name, purpose) in overridden)
        {
            var sealedMember = FindInBases(type, name);
            if (sealedMember is { IsSealed: true })
                Refuse(DiagnosticDescriptors.UnsupportedTypeShape, location, type.Name, $"its base class '{sealedMember.ContainingType.Name}' seals {purpose}; derive from a class that leaves it overridable");
        }

        return fatal;
    }

    /// <summary>The class's own forward(Tensor), when it writes one: BnGen then generates everything but forward.</summary>
    public static IMethodSymbol? UserForward(INamedTypeSymbol type) =>
        type.GetMembers("forward").OfType<IMethodSymbol>().FirstOrDefault(m => !m.IsStatic && m.Parameters.Length == 1 && !m.IsImplicitlyDeclared);

    /// <summary>The nearest one-parameter instance method named <paramref name="name"/> in a base class.</summary>
    private static IMethodSymbol? FindInBases(INamedTypeSymbol type, string name)
    {
        for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            var method = baseType.GetMembers(name).OfType<IMethodSymbol>().FirstOrDefault(m => !m.IsStatic && m.Parameters.Length == 1);
            if (method is not null)
                return method;
        }

        return null;
    }
}
