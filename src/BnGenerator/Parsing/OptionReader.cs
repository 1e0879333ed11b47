using System.Globalization;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Parsing;

/// <summary>Reads the named arguments of [BatchNormalized] / [BatchNorm] over a baseline, and checks their values.</summary>
internal static class OptionReader
{
    /// <summary>The attributes' property names; RuntimeContractTests checks each exists on BnRuntime's attributes.</summary>
    internal static class OptionNames
    {
        public const string Momentum = nameof(Momentum);
        public const string Epsilon = nameof(Epsilon);
        public const string Affine = nameof(Affine);
        public const string TrackRunningStats = nameof(TrackRunningStats);
        public const string CumulativeAverage = nameof(CumulativeAverage);
        public const string KeepFloat32 = nameof(KeepFloat32);
        public const string Name = nameof(Name);

        public static readonly string[] All = { Momentum, Epsilon, Affine, TrackRunningStats, CumulativeAverage, KeepFloat32, Name };
    }

    // Above this, a momentum most likely was written as the old value's weight (Keras, the article, many tutorials).
    private const double LargestLikelyNewValueWeight = 0.5;

    public static SiteOptions Read(AttributeData attribute, SiteOptions baseline, string owner, DiagnosticList diagnostics, System.Threading.CancellationToken cancellationToken)
    {
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var options = baseline;
        bool momentumGiven = false;
        foreach (var argument in attribute.NamedArguments)
        {
            var value = argument.Value.Value;
            switch (argument.Key)
            {
                case OptionNames.Momentum when value is double momentum:
                    momentumGiven = true;
                    if (!(momentum > 0 && momentum <= 1))
                    {
                        diagnostics.Add(DiagnosticDescriptors.InvalidOption, LocationOf(syntax, argument.Key), "Momentum", owner, Format(momentum),
                            "it must be in (0, 1]: the weight of the new batch value, PyTorch's convention (a momentum of 0.9 written as the weight of the old value is 0.1 here)");
                    }
                    else if (momentum > LargestLikelyNewValueWeight && momentum < 1)
                    {
                        diagnostics.Add(DiagnosticDescriptors.MomentumLooksLikeOldValueWeight, LocationOf(syntax, argument.Key),
                            Format(momentum), owner, Rounded(1 - momentum), Rounded(1 - momentum));
                    }

                    options = options with { Momentum = momentum, Written = options.Written | WrittenOptions.Momentum };
                    break;
                case OptionNames.Epsilon when value is double epsilon:
                    if (!(epsilon > 0) || double.IsInfinity(epsilon))
                        diagnostics.Add(DiagnosticDescriptors.InvalidOption, LocationOf(syntax, argument.Key), "Epsilon", owner, Format(epsilon), "it must be a positive finite number (PyTorch's default is 1e-5)");
                    options = options with { Epsilon = epsilon, Written = options.Written | WrittenOptions.Epsilon };
                    break;
                case OptionNames.Affine when value is bool affine:
                    options = options with { Affine = affine, Written = options.Written | WrittenOptions.Affine };
                    break;
                case OptionNames.TrackRunningStats when value is bool track:
                    options = options with { TrackRunningStats = track, Written = options.Written | WrittenOptions.TrackRunningStats };
                    break;
                case OptionNames.CumulativeAverage when value is bool cumulative:
                    options = options with { CumulativeAverage = cumulative, Written = options.Written | WrittenOptions.CumulativeAverage };
                    break;
                case OptionNames.KeepFloat32 when value is bool keep:
                    options = options with { KeepFloat32 = keep, Written = options.Written | WrittenOptions.KeepFloat32 };
                    break;
            }
        }

        var where = syntax?.GetLocation();
        if (options.CumulativeAverage && !options.TrackRunningStats)
            diagnostics.Add(DiagnosticDescriptors.ContradictoryOptions, where, owner, "CumulativeAverage = true needs TrackRunningStats = true (a cumulative average is a running statistic)");
        if (options.CumulativeAverage && momentumGiven)
            diagnostics.Add(DiagnosticDescriptors.ContradictoryOptions, where, owner, "Momentum is ignored when CumulativeAverage = true; set one or the other");
        return options;
    }

    /// <summary>The site name a [BatchNorm(Name = "...")] asks for, or null for the default; an invalid name is BNG0009.</summary>
    public static string? ReadName(AttributeData attribute, string owner, DiagnosticList diagnostics, System.Threading.CancellationToken cancellationToken)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key != OptionNames.Name)
                continue;
            if (argument.Value.Value is string name && Identifiers.IsPlainIdentifier(name))
                return name;
            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
            diagnostics.Add(DiagnosticDescriptors.InvalidOption, LocationOf(syntax, "Name"), "Name", owner, argument.Value.Value is string text ? "\"" + text + "\"" : "null",
                "it must be a plain C# identifier (letters, digits and '_', not a keyword), since it names both the site's field and its module (e.g. \"bn1\")");
        }

        return null;
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

    // 1 - 0.9 is 0.09999999999999998 in binary; the user wrote 0.9 and expects to read 0.1.
    private static string Rounded(double value) => value.ToString("G12", CultureInfo.InvariantCulture);
}
