using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.CodeFixes;

/// <summary>
/// BNG0020: <c>Momentum = 0.9</c> written as Keras and many tutorials mean it (the weight of the old running value).
/// PyTorch's momentum is the weight of the new batch value, so the fix writes <c>1 − m</c>: <c>Momentum = 0.1</c>.
/// The subtraction is done in decimal, so 0.9 becomes 0.1, not 0.09999999999999998.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PyTorchMomentumCodeFix)), Shared]
public sealed class PyTorchMomentumCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixedDiagnostics.MomentumLooksLikeOldValueWeight);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        // The diagnostic is on the attribute argument "Momentum = m".
        if (root?.FindNode(context.Span).FirstAncestorOrSelf<AttributeArgumentSyntax>() is not { NameEquals: not null } argument
            || model?.GetConstantValue(argument.Expression, context.CancellationToken) is not { HasValue: true, Value: double weight })
            return;
        decimal pytorch = 1m - (decimal)weight;
        string text = pytorch.ToString(CultureInfo.InvariantCulture);
        var literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(text.Contains(".") ? text : text + ".0", (double)pytorch))
            .WithTriviaFrom(argument.Expression);
        context.RegisterCodeFix(
            CodeAction.Create($"Use PyTorch's momentum: Momentum = {text} (1 − {weight.ToString(CultureInfo.InvariantCulture)})", _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(argument.Expression, literal))), nameof(PyTorchMomentumCodeFix)),
            context.Diagnostics);
    }
}
