using System;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// A synchronized site's statistics for one training step, combined over every replica: the global count and, per
/// channel, the mean, the biased variance and 1/√(variance + eps), in float64; <see cref="DType"/> is what the
/// normalization computes in (the site's parameters' dtype).
/// </summary>
internal sealed class GlobalStatistics
{
    public GlobalStatistics(long count, double[] mean, double[] biasedVariance, double eps, ScalarType dtype)
    {
        Count = count;
        Mean = mean;
        BiasedVariance = biasedVariance;
        Eps = eps;
        DType = dtype;
        InverseStd = new double[mean.Length];
        for (int k = 0; k < mean.Length; k++)
            InverseStd[k] = 1 / Math.Sqrt(biasedVariance[k] + eps);
    }

    public long Count { get; }

    public double[] Mean { get; }

    public double[] BiasedVariance { get; }

    public double[] InverseStd { get; }

    public double Eps { get; }

    public ScalarType DType { get; }

    public int Channels => Mean.Length;
}
