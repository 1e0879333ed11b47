using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace BnGen.Mpi.Worker;

/// <summary>
/// The largest differences seen per category (outputs, gradients, ...): absolute, and relative to the largest
/// magnitude of the expected tensor (a normwise relative error, meaningful where elements pass through zero).
/// </summary>
internal sealed class Comparison
{
    public Dictionary<string, Difference> Categories { get; } = new();

    /// <param name="scale">What the difference is relative to; the largest |expected| when null.</param>
    public void Add(string category, Tensor expected, Tensor actual, double? scale = null)
    {
        using var scope = NewDisposeScope();
        var e = expected.detach().to(float64);
        var a = actual.detach().to(float64);
        if (!e.shape.AsSpan().SequenceEqual(a.shape))
            throw new InvalidOperationException($"{category}: shape [{string.Join(", ", a.shape)}], expected [{string.Join(", ", e.shape)}]");
        double absolute = e.NumberOfElements == 0 ? 0 : (a - e).abs().max().item<double>();
        double magnitude = scale ?? (e.NumberOfElements == 0 ? 0 : e.abs().max().item<double>());
        double relative = absolute == 0 ? 0 : absolute / Math.Max(magnitude, 1e-300);
        if (double.IsNaN(absolute))
            absolute = relative = double.PositiveInfinity;
        var previous = Categories.GetValueOrDefault(category);
        Categories[category] = new Difference(Math.Max(previous.MaxAbsolute, absolute), Math.Max(previous.MaxRelative, relative));
    }

    public void AddExact(string category, long expected, long actual)
    {
        double difference = Math.Abs(expected - actual);
        var previous = Categories.GetValueOrDefault(category);
        Categories[category] = new Difference(Math.Max(previous.MaxAbsolute, difference), Math.Max(previous.MaxRelative, difference));
    }
}

internal readonly record struct Difference(double MaxAbsolute, double MaxRelative);
