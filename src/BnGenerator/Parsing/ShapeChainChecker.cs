using System.Globalization;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Parsing;

/// <summary>
/// Follows the layers in forward order with what a compiler can know of their sizes and ranks, and reports
/// chains that cannot run: sizes that differ, a convolution fed the output of one of another rank, and a
/// Linear layer fed a conv feature map.
/// </summary>
internal sealed class ShapeChainChecker
{
    private enum Flow
    {
        Unknown,
        Dense,
        FeatureMap,
    }

    private readonly DiagnosticList _diagnostics;
    private Flow _flow = Flow.Unknown;
    private LayerKind? _convolution;
    private long? _width;
    private string? _producer;
    private string? _producerSite;

    public ShapeChainChecker(DiagnosticList diagnostics) => _diagnostics = diagnostics;

    public void Visit(string field, LayerKind kind, LayerSizes sizes, string? siteName, Location? location)
    {
        switch (kind)
        {
            case LayerKind.Linear:
                if (_flow == Flow.FeatureMap)
                    _diagnostics.Add(DiagnosticDescriptors.LinearAfterConv, location, field, _producer ?? "?");
                else if (_flow == Flow.Dense)
                    CheckWidth(field, sizes.Inputs, "features", location);
                Produce(Flow.Dense, null, sizes.Outputs, field, siteName);
                break;
            case LayerKind.Conv1d:
            case LayerKind.Conv2d:
            case LayerKind.Conv3d:
            case LayerKind.ConvTranspose1d:
            case LayerKind.ConvTranspose2d:
            case LayerKind.ConvTranspose3d:
                if (_flow == Flow.FeatureMap && _convolution is { } previous && previous.SiteInput() != kind.SiteInput())
                {
                    _diagnostics.Add(DiagnosticDescriptors.RankMismatch, location,
                        field, kind.ToString(), Shape(kind), _producer ?? "?", previous.ToString(), Shape(previous));
                }
                else if (_flow == Flow.FeatureMap)
                {
                    CheckWidth(field, sizes.Inputs, "channels", location);
                }

                Produce(Flow.FeatureMap, kind, sizes.Outputs, field, siteName);
                break;
            case LayerKind.Flatten:
                if (_flow != Flow.Dense)
                    Produce(Flow.Dense, null, width: null, _producer, producerSite: null);
                break;
            case LayerKind.Pool2d:
            case LayerKind.Pool3d:
                // Pooling keeps channels; on the [N, C] output of a Linear layer it cannot run at all.
                if (_flow == Flow.Dense)
                    _diagnostics.Add(DiagnosticDescriptors.PoolingAfterDense, location, field, kind == LayerKind.Pool2d ? "2-d" : "3-d", _producer ?? "?");
                break;
            case LayerKind.ShapePreserving:
                break;
            default:
                Produce(Flow.Unknown, null, width: null, producer: null, producerSite: null);
                break;
        }
    }

    private void CheckWidth(string field, long? expected, string unit, Location? location)
    {
        if (expected is null || _width is null || expected == _width)
            return;
        string through = _producerSite is null ? "" : $" (normalized by its batch-norm site '{_producerSite}')";
        _diagnostics.Add(DiagnosticDescriptors.SizeMismatch, location,
            field, Format(expected.Value), unit, _producer ?? "?", Format(_width.Value), through);
    }

    private void Produce(Flow flow, LayerKind? convolution, long? width, string? producer, string? producerSite)
    {
        _flow = flow;
        _convolution = convolution;
        _width = width;
        _producer = producer;
        _producerSite = producerSite;
    }

    private static string Shape(LayerKind kind) => kind.SiteInput() switch
    {
        LayerKind.Conv1d => "[N, C, L]",
        LayerKind.Conv2d => "[N, C, H, W]",
        _ => "[N, C, D, H, W]",
    };

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
