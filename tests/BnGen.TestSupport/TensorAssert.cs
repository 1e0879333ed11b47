using System;
using Xunit.Sdk;
using static TorchSharp.torch;

namespace BnGen.TestSupport;

/// <summary>Tensor comparisons whose failure message says how far apart the tensors are.</summary>
public static class TensorAssert
{
    /// <summary>Same shape, dtype and every element bit for bit.</summary>
    public static void Identical(Tensor expected, Tensor actual, string what)
    {
        SameShape(expected, actual, what);
        if (expected.dtype != actual.dtype)
            throw new XunitException($"{what}: dtype {actual.dtype}, expected {expected.dtype}");
        if (!expected.allclose(actual, rtol: 0, atol: 0, equal_nan: true))
            throw new XunitException($"{what}: not bit-identical; max |difference| {MaxDifference(expected, actual):R}");
    }

    /// <summary>Same shape and every element within <paramref name="absolute"/> + <paramref name="relative"/>·|expected|.</summary>
    public static void Close(Tensor expected, Tensor actual, double absolute, double relative, string what)
    {
        SameShape(expected, actual, what);
        using var scope = NewDisposeScope();
        var e = expected.detach().to(float64);
        var a = actual.detach().to(float64);
        var allowed = e.abs() * relative + absolute;
        var excess = (a - e).abs() - allowed;
        double worst = excess.max().item<double>();
        if (worst > 0 || double.IsNaN(worst))
            throw new XunitException($"{what}: max |difference| {MaxDifference(expected, actual):R} exceeds tolerance (abs {absolute:R}, rel {relative:R})");
    }

    private static void SameShape(Tensor expected, Tensor actual, string what)
    {
        if (!expected.shape.AsSpan().SequenceEqual(actual.shape))
            throw new XunitException($"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
    }

    private static double MaxDifference(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        return (expected.detach().to(float64) - actual.detach().to(float64)).abs().max().item<double>();
    }
}
