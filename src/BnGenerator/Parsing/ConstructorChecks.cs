using System.Collections.Generic;
using System.Linq;
using System.Threading;
using BnGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>
/// The constructor contract: the generated constructor, or each user constructor that does not chain to another,
/// calls InitializeBatchNorm() after every layer is assigned (the sites are sized from the layers).
/// </summary>
internal static class ConstructorChecks
{
    /// <summary>Whether the class declares instance constructors of its own; reports those that break the contract.</summary>
    public static bool Check(INamedTypeSymbol type, IReadOnlyCollection<string> layerFields, DiagnosticList diagnostics, CancellationToken cancellationToken)
    {
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is TypeDeclarationSyntax { ParameterList: not null } primary)
            {
                diagnostics.Add(DiagnosticDescriptors.PrimaryConstructor, primary.Identifier.GetLocation(), type.Name);
                return true;
            }
        }

        bool any = false;
        foreach (var constructor in type.InstanceConstructors)
        {
            if (constructor.IsImplicitlyDeclared)
                continue;
            any = true;
            foreach (var reference in constructor.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(cancellationToken) is ConstructorDeclarationSyntax syntax)
                    CheckOne(type, syntax, layerFields, diagnostics);
            }
        }

        return any;
    }

    private static void CheckOne(INamedTypeSymbol type, ConstructorDeclarationSyntax syntax, IReadOnlyCollection<string> layerFields, DiagnosticList diagnostics)
    {
        if (syntax.Initializer is { } initializer && initializer.IsKind(SyntaxKind.ThisConstructorInitializer))
            return;

        var initialize = syntax.DescendantNodes().OfType<InvocationExpressionSyntax>().FirstOrDefault(call =>
            call.Expression is IdentifierNameSyntax { Identifier.ValueText: "InitializeBatchNorm" }
            || call.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "InitializeBatchNorm", Expression: ThisExpressionSyntax });
        if (initialize is null)
        {
            diagnostics.Add(DiagnosticDescriptors.ConstructorMissesInitialize, syntax.Identifier.GetLocation(), type.Name);
            return;
        }

        // A layer assigned after the call is null when InitializeBatchNorm() sizes its site from it.
        foreach (var assignment in syntax.DescendantNodes().OfType<AssignmentExpressionSyntax>())
        {
            if (assignment.SpanStart <= initialize.SpanStart)
                continue;
            string? target = assignment.Left switch
            {
                IdentifierNameSyntax name => name.Identifier.ValueText,
                MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => name.Identifier.ValueText,
                _ => null,
            };
            if (target is not null && layerFields.Contains(target))
                diagnostics.Add(DiagnosticDescriptors.InitializeBeforeLayer, assignment.GetLocation(), type.Name, target);
        }
    }
}
