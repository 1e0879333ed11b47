using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;

namespace BnGen.CodeFixes;

/// <summary>
/// BNG0012: a constructor of a [BatchNormalized] class that never calls <c>InitializeBatchNorm()</c>. The fix calls it
/// as the constructor's last statement, after every layer is assigned (where BNG0018 wants it).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(CallInitializeBatchNormCodeFix)), Shared]
public sealed class CallInitializeBatchNormCodeFix() : BnGenCodeFix(FixedDiagnostics.ConstructorMissesInitialize)
{
    private protected override (string, SyntaxNode, SyntaxNode)? Fix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model) =>
        node.FirstAncestorOrSelf<ConstructorDeclarationSyntax>() is { } constructor && (constructor.Body is not null || constructor.ExpressionBody is not null)
            ? ("Call InitializeBatchNorm() at the end of the constructor", constructor, WithCall(constructor))
            : null;

    private static ConstructorDeclarationSyntax WithCall(ConstructorDeclarationSyntax constructor)
    {
        var call = SyntaxFactory.ExpressionStatement(SyntaxFactory.InvocationExpression(SyntaxFactory.IdentifierName("InitializeBatchNorm")))
            .WithAdditionalAnnotations(Formatter.Annotation);
        if (constructor.Body is { } body)
            return constructor.WithBody(body.AddStatements(call));

        // An expression body becomes a block: the expression, then the call.
        var expression = SyntaxFactory.ExpressionStatement(constructor.ExpressionBody!.Expression);
        return constructor
            .WithExpressionBody(null)
            .WithSemicolonToken(default)
            .WithBody(SyntaxFactory.Block(expression, call))
            .WithAdditionalAnnotations(Formatter.Annotation);
    }
}
