using System.Collections.Immutable;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;

namespace BnGen.CodeFixes;

/// <summary>
/// What BnGen's code fixes share: one diagnostic ID each, Roslyn's batch fix-all (every occurrence in a document,
/// project or solution at once), and a fix that replaces one node of the document's syntax tree. A fix finds the node
/// at the diagnostic's span and returns its replacement, or null when the code around it is not what the fix expects
/// (then no light bulb is offered).
/// </summary>
public abstract class BnGenCodeFix : CodeFixProvider
{
    private readonly string _diagnosticId;

    private protected BnGenCodeFix(string diagnosticId) => _diagnosticId = diagnosticId;

    /// <inheritdoc />
    public sealed override ImmutableArray<string> FixableDiagnosticIds => ImmutableArray.Create(_diagnosticId);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public sealed override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null || Fix(root.FindNode(context.Span), context.Diagnostics[0], model) is not { } fix)
            return;
        context.RegisterCodeFix(
            CodeAction.Create(fix.Title, _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(fix.Original, fix.Replacement))), GetType().Name),
            context.Diagnostics);
    }

    /// <summary>The replacement for the code at <paramref name="node"/> (the diagnostic's span), or null to offer nothing.</summary>
    private protected abstract (string Title, SyntaxNode Original, SyntaxNode Replacement)? Fix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model);
}
