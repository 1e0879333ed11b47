using System.Composition;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.CodeFixes;

/// <summary>BNG0001: a [BatchNormalized] class that is not partial. The fix declares it <c>partial</c>.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
public sealed class MakePartialCodeFix() : BnGenCodeFix(FixedDiagnostics.NotPartial)
{
    // The diagnostic is on the [BatchNormalized] attribute; the class is the declaration around it.
    private protected override (string, SyntaxNode, SyntaxNode)? Fix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model) =>
        node.FirstAncestorOrSelf<ClassDeclarationSyntax>() is { } declaration && !declaration.Modifiers.Any(SyntaxKind.PartialKeyword)
            ? ($"Make '{declaration.Identifier.ValueText}' partial", declaration, MakePartial(declaration))
            : null;

    /// <summary>Adds <c>partial</c> where C# wants it: last among the modifiers, before <c>class</c>.</summary>
    private static ClassDeclarationSyntax MakePartial(ClassDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Count == 0)
        {
            // The class keyword carries the leading trivia (indentation, comments) when there is no modifier.
            var keyword = declaration.Keyword;
            return declaration
                .WithKeyword(keyword.WithLeadingTrivia(SyntaxFactory.Space))
                .WithModifiers(SyntaxFactory.TokenList(SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList())));
        }

        return declaration.WithModifiers(declaration.Modifiers.Add(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space)));
    }
}
