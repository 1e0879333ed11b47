using System.Collections.Immutable;
using System.Composition;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.CodeFixes;

/// <summary>
/// BNG0008: a Linear or Conv layer with a bias right before a batch-norm site, which subtracts the mean and adds its
/// own β. The fix creates the layer without one — <c>hasBias: false</c> for Linear, <c>bias: false</c> for the
/// convolutions — in the field's initializer.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveBiasCodeFix)), Shared]
public sealed class RemoveBiasCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(FixedDiagnostics.RedundantBias);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        // The diagnostic is on the field's name; the message says which argument the layer's factory takes.
        if (root?.FindNode(context.Span).FirstAncestorOrSelf<VariableDeclaratorSyntax>() is not { } field)
            return;
        string parameter = context.Diagnostics[0].GetMessage().Contains("hasBias: false") ? "hasBias" : "bias";
        // The generator reads a layer's bias from its field initializer, so that is where the diagnostic comes from.
        if (field.Initializer?.Value is not InvocationExpressionSyntax creation)
            return;
        context.RegisterCodeFix(
            CodeAction.Create($"Create '{field.Identifier.ValueText}' without a bias ({parameter}: false)",
                _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(creation, WithoutBias(creation, parameter)))),
                nameof(RemoveBiasCodeFix)),
            context.Diagnostics);
    }

    /// <summary>Sets the bias argument to false: the named one if written, else adds it by name.</summary>
    private static InvocationExpressionSyntax WithoutBias(InvocationExpressionSyntax creation, string parameter)
    {
        var falseLiteral = SyntaxFactory.LiteralExpression(SyntaxKind.FalseLiteralExpression);
        var arguments = creation.ArgumentList.Arguments;
        for (int i = 0; i < arguments.Count; i++)
        {
            if (arguments[i].NameColon?.Name.Identifier.ValueText == parameter)
                return creation.WithArgumentList(creation.ArgumentList.WithArguments(arguments.Replace(arguments[i], arguments[i].WithExpression(falseLiteral.WithTriviaFrom(arguments[i].Expression)))));
        }

        var added = SyntaxFactory.Argument(SyntaxFactory.NameColon(parameter), default, falseLiteral);
        return creation.WithArgumentList(creation.ArgumentList.WithArguments(arguments.Add(added)));
    }
}
