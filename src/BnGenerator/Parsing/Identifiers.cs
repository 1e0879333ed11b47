using System.Globalization;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BnGen.Generator.Parsing;

/// <summary>Names as generated code must write them, and file names that stay unique and portable.</summary>
internal static class Identifiers
{
    /// <summary><c>@class</c> for a name that is a reserved keyword, the name itself otherwise.</summary>
    public static string Escape(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>Whether <paramref name="name"/> can be written as is as a C# identifier (no keyword, no @).</summary>
    public static bool IsPlainIdentifier(string name) =>
        SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == SyntaxKind.None && SyntaxFacts.GetContextualKeywordKind(name) == SyntaxKind.None;

    /// <summary>
    /// <c>Namespace.Outer+Inner.BatchNormalized.g.cs</c> from metadata names (which never carry the <c>@</c> of
    /// verbatim identifiers). Characters other than ASCII letters, digits, <c>_</c>, <c>.</c> and <c>+</c> become
    /// <c>-XXXX</c> (their UTF-16 code): <c>-</c> cannot occur in a C# name, so two types never share a hint name.
    /// </summary>
    public static string HintName(INamedTypeSymbol type)
    {
        var name = new StringBuilder();
        if (type.ContainingNamespace is { IsGlobalNamespace: false } ns)
            AppendSanitized(name, ns.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted).WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.None))).Append('.');
        var outer = new System.Collections.Generic.Stack<INamedTypeSymbol>();
        for (var t = type.ContainingType; t is not null; t = t.ContainingType)
            outer.Push(t);
        foreach (var t in outer)
            AppendSanitized(name, t.MetadataName).Append('+');
        AppendSanitized(name, type.MetadataName);
        return name.Append(".BatchNormalized.g.cs").ToString();
    }

    private static StringBuilder AppendSanitized(StringBuilder builder, string text)
    {
        foreach (char c in text)
        {
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '.' or '+')
                builder.Append(c);
            else
                builder.Append('-').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
        }

        return builder;
    }
}
