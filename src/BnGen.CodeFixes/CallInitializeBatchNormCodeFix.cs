using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
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
public sealed class CallInitializeBatchNormCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixedDiagnostics.ConstructorMissesInitialize);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root?.FindNode(context.Span).FirstAncestorOrSelf<ConstructorDeclarationSyntax>() is not { } constructor
            || (constructor.Body is null && constructor.ExpressionBody is null))
            return;
        context.RegisterCodeFix(
            CodeAction.Create("Call InitializeBatchNorm() at the end of the constructor", _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(constructor, WithCall(constructor)))), nameof(CallInitializeBatchNormCodeFix)),
            context.Diagnostics);
    }

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
