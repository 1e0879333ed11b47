using System.Composition;
using System.Globalization;
using Microsoft.CodeAnalysis;
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
public sealed class PyTorchMomentumCodeFix() : BnGenCodeFix(FixedDiagnostics.MomentumLooksLikeOldValueWeight)
{
    // The diagnostic is on the attribute argument "Momentum = m".
    private protected override (string, SyntaxNode, SyntaxNode)? Fix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model)
    {
        if (node.FirstAncestorOrSelf<AttributeArgumentSyntax>() is not { NameEquals: not null } argument
            || model.GetConstantValue(argument.Expression) is not { HasValue: true, Value: double weight })
            return null;
        decimal pytorch = 1m - (decimal)weight;
        string text = pytorch.ToString(CultureInfo.InvariantCulture);
        var literal = SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(text.Contains(".") ? text : text + ".0", (double)pytorch))
            .WithTriviaFrom(argument.Expression);
        return ($"Use PyTorch's momentum: Momentum = {text} (1 − {weight.ToString(CultureInfo.InvariantCulture)})", argument.Expression, literal);
    }
}
