using System.Collections.Generic;
using System.Linq;
using System.Threading;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>
/// Reads a forward the user wrote, for what a compiler can see there: a site it never calls (BNG0005), and a site
/// applied to the output of a module other than its own layer (BNG0021), directly (<c>bn1.call(conv2.call(x))</c>)
/// or through a local last assigned from such a call. Anything it cannot see is left alone.
/// </summary>
internal static class ForwardUsage
{
    private static readonly HashSet<string> ModuleCalls = new() { "call", "forward" };

    public static void Check(INamedTypeSymbol type, IMethodSymbol forward, IReadOnlyList<LayerSpec> layers, IReadOnlyDictionary<string, Location?> layerLocations, DiagnosticList diagnostics, CancellationToken cancellationToken)
    {
        var body = forward.DeclaringSyntaxReferences.Select(r => r.GetSyntax(cancellationToken)).OfType<MethodDeclarationSyntax>().FirstOrDefault();
        if (body is null)
            return;

        var identifiers = new HashSet<string>(body.DescendantNodes().OfType<IdentifierNameSyntax>().Select(i => i.Identifier.ValueText));
        var siteOwners = layers.Where(l => l.SiteName is not null).GroupBy(l => l.SiteName!).ToDictionary(g => g.Key, g => UnescapedField(g.First()));
        var modules = new HashSet<string>(layers.Where(l => l.Registration == Registration.Module).Select(UnescapedField));
        foreach (var pair in siteOwners)
        {
            if (!identifiers.Contains(pair.Key))
                diagnostics.Add(DiagnosticDescriptors.SiteNeverCalled, layerLocations.TryGetValue(pair.Value, out var where) ? where : null, type.Name, pair.Key, pair.Value);
        }

        foreach (var call in body.DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (Receiver(call, ModuleCalls) is not { } site || !siteOwners.TryGetValue(site, out var owner) || call.ArgumentList.Arguments.Count == 0)
                continue;
            string? producer = Producer(call.ArgumentList.Arguments[0].Expression, call, body, modules);
            if (producer is not null && producer != owner)
                diagnostics.Add(DiagnosticDescriptors.SiteOnOtherOutput, call.GetLocation(), site, owner, producer);
        }
    }

    private static string UnescapedField(LayerSpec layer) => layer.FieldIdentifier.TrimStart('@');

    /// <summary>The module field whose output <paramref name="argument"/> is, when the code shows it; otherwise null.</summary>
    private static string? Producer(ExpressionSyntax argument, SyntaxNode use, MethodDeclarationSyntax body, HashSet<string> modules)
    {
        if (argument is InvocationExpressionSyntax invocation)
            return Receiver(invocation, ModuleCalls) is { } module && modules.Contains(module) ? module : null;
        if (argument is not IdentifierNameSyntax local)
            return null;

        // The last assignment to the local before this use, in text order.
        ExpressionSyntax? last = null;
        int lastStart = -1;
        foreach (var node in body.DescendantNodes())
        {
            if (node.SpanStart >= use.SpanStart)
                break;
            ExpressionSyntax? value = node switch
            {
                VariableDeclaratorSyntax { Initializer.Value: var v } d when d.Identifier.ValueText == local.Identifier.ValueText => v,
                AssignmentExpressionSyntax { Left: IdentifierNameSyntax target, Right: var v } when target.Identifier.ValueText == local.Identifier.ValueText => v,
                _ => null,
            };
            // Skip the statement the use sits in (x = bn1.call(x) reads the x assigned before it).
            if (value is not null && node.SpanStart > lastStart && !node.Span.Contains(use.Span))
            {
                last = value;
                lastStart = node.SpanStart;
            }
        }

        return last is InvocationExpressionSyntax assigned && Receiver(assigned, ModuleCalls) is { } producer && modules.Contains(producer) ? producer : null;
    }

    /// <summary>The field an invocation like <c>field.call(...)</c> or <c>this.field.forward(...)</c> is made on.</summary>
    private static string? Receiver(InvocationExpressionSyntax invocation, HashSet<string> methods)
    {
        if (invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: var method } access || !methods.Contains(method))
            return null;
        return access.Expression switch
        {
            IdentifierNameSyntax name => name.Identifier.ValueText,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: var name } => name.Identifier.ValueText,
            _ => null,
        };
    }
}
