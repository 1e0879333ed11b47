using System.Collections.Generic;
using System.Globalization;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>Reads the named arguments of [BatchNormalized] / [BatchNorm] over a baseline, and checks their values.</summary>
internal static class OptionReader
{
    public static SiteOptions Read(AttributeData attribute, SiteOptions baseline, string owner, List<DiagnosticInfo> diagnostics, System.Threading.CancellationToken cancellationToken)
    {
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var options = baseline;
        bool momentumGiven = false;
        foreach (var argument in attribute.NamedArguments)
        {
            var value = argument.Value.Value;
            switch (argument.Key)
            {
                case "Momentum" when value is double momentum:
                    momentumGiven = true;
                    if (!(momentum > 0 && momentum <= 1))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOption, LocationOf(syntax, argument.Key), "Momentum", owner, Format(momentum),
                            "it must be in (0, 1]: the weight of the new batch value, PyTorch's convention (a momentum of 0.9 written as the weight of the old value is 0.1 here)"));
                    }

                    options = options with { Momentum = momentum };
                    break;
                case "Epsilon" when value is double epsilon:
                    if (!(epsilon > 0) || double.IsInfinity(epsilon))
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidOption, LocationOf(syntax, argument.Key), "Epsilon", owner, Format(epsilon), "it must be a positive finite number (PyTorch's default is 1e-5)"));
                    options = options with { Epsilon = epsilon };
                    break;
                case "Affine" when value is bool affine:
                    options = options with { Affine = affine };
                    break;
                case "TrackRunningStats" when value is bool track:
                    options = options with { TrackRunningStats = track };
                    break;
                case "CumulativeAverage" when value is bool cumulative:
                    options = options with { CumulativeAverage = cumulative };
                    break;
            }
        }

        var where = syntax?.GetLocation();
        if (options.CumulativeAverage && !options.TrackRunningStats)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContradictoryOptions, where, owner, "CumulativeAverage = true needs TrackRunningStats = true (a cumulative average is a running statistic)"));
        if (options.CumulativeAverage && momentumGiven)
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ContradictoryOptions, where, owner, "Momentum is ignored when CumulativeAverage = true; set one or the other"));
        return options;
    }

    private static Location? LocationOf(AttributeSyntax? syntax, string name)
    {
        if (syntax?.ArgumentList is { } arguments)
        {
            foreach (var argument in arguments.Arguments)
            {
                if (argument.NameEquals?.Name.Identifier.ValueText == name)
                    return argument.GetLocation();
            }
        }

        return syntax?.GetLocation();
    }

    private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
