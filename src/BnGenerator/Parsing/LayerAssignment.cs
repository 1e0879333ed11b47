using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>Whether a layer field is certainly assigned when InitializeBatchNorm() runs, so that no null check is written for it.</summary>
internal static class LayerAssignment
{
    /// <summary>
    /// True when the field has an initializer that is not a null or default literal and no constructor of the class
    /// assigns it: field initializers run before any constructor body, so the layer is there when the sites are made.
    /// </summary>
    public static bool IsCertain(IFieldSymbol field, INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        bool initialized = field.DeclaringSyntaxReferences.Any(reference =>
            reference.GetSyntax(cancellationToken) is VariableDeclaratorSyntax { Initializer.Value: var value } && !IsNullOrDefault(value));
        if (!initialized)
            return false;

        foreach (var constructor in type.InstanceConstructors)
        {
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is not ConstructorDeclarationSyntax syntax)
                    continue;
                foreach (var assignment in syntax.DescendantNodes().OfType<AssignmentExpressionSyntax>())
                {
                    string? target = assignment.Left switch
                    {
                        IdentifierNameSyntax name => name.Identifier.ValueText,
                        MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => name.Identifier.ValueText,
                        _ => null,
                    };
                    if (target == field.Name)
                        return false;
                }
            }
        }

        return true;
    }

    private static bool IsNullOrDefault(ExpressionSyntax value)
    {
        while (value is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } suppressed)
            value = suppressed.Operand;
        while (value is ParenthesizedExpressionSyntax parenthesized)
            value = parenthesized.Expression;
        return value.IsKind(SyntaxKind.NullLiteralExpression)
            || value.IsKind(SyntaxKind.DefaultLiteralExpression)
            || value is DefaultExpressionSyntax;
    }
}
