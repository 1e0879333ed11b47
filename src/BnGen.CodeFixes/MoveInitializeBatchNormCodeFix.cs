using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.CodeFixes;

/// <summary>
/// BNG0018: <c>InitializeBatchNorm()</c> called before a layer is assigned, so the site after it would be made from
/// null. The fix moves the call to the end of the constructor. One constructor may report several layers: each fix,
/// and fix-all, moves the call once.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MoveInitializeBatchNormCodeFix)), Shared]
public sealed class MoveInitializeBatchNormCodeFix() : BnGenCodeFix(FixedDiagnostics.InitializeBeforeLayer)
{
    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => FixAllProvider.Create(async (context, document, diagnostics) =>
    {
        var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null)
            return document;
        var constructors = diagnostics.Select(d => root.FindNode(d.Location.SourceSpan).FirstAncestorOrSelf<ConstructorDeclarationSyntax>())
            .OfType<ConstructorDeclarationSyntax>().Where(c => CallStatement(c) is not null).Distinct().ToList();
        return document.WithSyntaxRoot(root.ReplaceNodes(constructors, (original, _) => Moved(original)));
    });

    // One constructor reports each layer assigned after the call; a fix-all moves the call once per constructor (the
    // batch fixer would try the same move once per diagnostic).
    // A call nested in other code (an if, a lambda) gets no fix: where it belongs is not mechanical.
    private protected override (string, SyntaxNode, SyntaxNode)? Fix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model) =>
        node.FirstAncestorOrSelf<ConstructorDeclarationSyntax>() is { } constructor && CallStatement(constructor) is not null
            ? ("Move InitializeBatchNorm() to the end of the constructor", constructor, Moved(constructor))
            : null;

    /// <summary>The statement <c>InitializeBatchNorm();</c> directly in the constructor's body, if it is there.</summary>
    private static ExpressionStatementSyntax? CallStatement(ConstructorDeclarationSyntax constructor) =>
        constructor.Body?.Statements.OfType<ExpressionStatementSyntax>().FirstOrDefault(s => s.Expression is InvocationExpressionSyntax
        {
            Expression: IdentifierNameSyntax { Identifier.ValueText: "InitializeBatchNorm" }
                or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name.Identifier.ValueText: "InitializeBatchNorm" },
        });

    private static ConstructorDeclarationSyntax Moved(ConstructorDeclarationSyntax constructor)
    {
        var call = CallStatement(constructor)!;
        var body = constructor.Body!;
        var statements = body.Statements.Remove(call);
        // The call keeps its own line's indentation; any comment above it stays with it.
        return constructor.WithBody(body.WithStatements(statements.Add(call)));
    }
}
