using System.Composition;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.CodeFixes;

/// <summary>
/// BNG0008: a Linear or Conv layer with a bias right before a batch-norm site, which subtracts the mean and adds its
/// own β. The fix creates the layer without one — <c>hasBias: false</c> for Linear, <c>bias: false</c> for the
/// convolutions — in the field's initializer, where the generator reads the bias.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveBiasCodeFix)), Shared]
public sealed class RemoveBiasCodeFix() : BnGenCodeFix(FixedDiagnostics.RedundantBias)
{
    // The diagnostic is on the field's name; its message says which argument the layer's factory takes.
    private protected override (string, SyntaxNode, SyntaxNode)? Fix(SyntaxNode node, Diagnostic diagnostic, SemanticModel model)
    {
        if (node.FirstAncestorOrSelf<VariableDeclaratorSyntax>() is not { Initializer.Value: InvocationExpressionSyntax creation } field)
            return null;
        string parameter = diagnostic.GetMessage().Contains("hasBias: false") ? "hasBias" : "bias";
        return ($"Create '{field.Identifier.ValueText}' without a bias ({parameter}: false)", creation, WithoutBias(creation, parameter));
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

        return creation.WithArgumentList(creation.ArgumentList.WithArguments(arguments.Add(SyntaxFactory.Argument(SyntaxFactory.NameColon(parameter), default, falseLiteral))));
    }
}
