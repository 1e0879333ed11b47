using System.Collections.Generic;
using System.Linq;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Parsing;

/// <summary>
/// The members BnGen adds to a [BatchNormalized] class, and the check that none of them, nor any site, takes a
/// name the user's class (or its base classes) already uses: a clash would be a compile error in generated code.
/// </summary>
internal static class GeneratedNames
{
    /// <summary>
    /// Members the emitter writes, and why. A <c>forward</c> method is BNG0005's; <c>forward</c>, <c>train</c>,
    /// <c>load</c> and <c>load_state_dict</c> override TorchSharp's, so only a declaration in the class itself clashes.
    /// </summary>
    private static readonly (string Name, string Purpose, bool Override)[] Members =
    {
        (GeneratedMemberNames.Initialize, "it creates and registers the sites", false),
        (GeneratedMemberNames.Fuse, "it folds the sites for inference", false),
        (GeneratedMemberNames.IsFused, "it tells whether FuseBatchNorm() has run", false),
        ("forward", "it runs the layers and sites", true),
        ("train", "it refuses training after FuseBatchNorm()", true),
        ("load", "it refuses checkpoints whose fusion differs from the network's", true),
        ("load_state_dict", "it refuses checkpoints whose fusion differs from the network's", true),
    };

    /// <summary>Reports members of the class that take a generated member's name.</summary>
    public static void CheckReserved(INamedTypeSymbol type, DiagnosticList diagnostics)
    {
        foreach (var (name, purpose, isOverride) in Members)
        {
            foreach (var member in type.GetMembers(name).Where(m => !m.IsImplicitlyDeclared && !(name == "forward" && m is IMethodSymbol)))
                diagnostics.Add(DiagnosticDescriptors.ReservedMember, member.Locations.FirstOrDefault(), type.Name, name, purpose);

            if (isOverride)
                continue;
            foreach (var member in InheritedMembers(type, name).Where(m => !KnownTypes.IsTorchSharpType(m.ContainingType) && m.ContainingAssembly?.Name != KnownTypes.RuntimeAssembly))
                diagnostics.Add(DiagnosticDescriptors.ReservedMember, member.Locations.FirstOrDefault(), member.ContainingType.Name, name, purpose);
        }
    }

    /// <summary>Whether the emitter writes a member of this name (forward included).</summary>
    public static bool IsGeneratedMember(string name) => Members.Any(m => m.Name == name);

    /// <summary>What already uses <paramref name="name"/> in the class or a base class ("the field 'a_bn'"), or null when it is free.</summary>
    public static string? TakenBy(INamedTypeSymbol type, string name)
    {
        if (type.Name == name)
            return $"the class '{name}' itself (a member cannot have its class's name)";

        foreach (var member in type.GetMembers(name))
        {
            if (!member.IsImplicitlyDeclared)
                return $"the {Kind(member)} '{name}'";
        }

        foreach (var member in InheritedMembers(type, name))
            return $"the {Kind(member)} '{name}' of the base class '{member.ContainingType.Name}'";

        foreach (var (reserved, _, _) in Members)
        {
            if (reserved == name)
                return $"the generated member '{name}'";
        }

        return null;
    }

    private static string Kind(ISymbol member) => member switch
    {
        IFieldSymbol => "field",
        IPropertySymbol => "property",
        IMethodSymbol => "method",
        IEventSymbol => "event",
        INamedTypeSymbol => "nested type",
        _ => "member",
    };

    /// <summary>Members named <paramref name="name"/> that base classes declare and the class can see, nearest base first.</summary>
    private static IEnumerable<ISymbol> InheritedMembers(INamedTypeSymbol type, string name)
    {
        for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
        {
            foreach (var member in baseType.GetMembers(name))
            {
                if (!member.IsImplicitlyDeclared && member.DeclaredAccessibility != Accessibility.Private)
                    yield return member;
            }
        }
    }
}
