using System.Linq;

namespace BnGen.Benchmarks;

/// <summary>The statistic the interleaved comparisons report: robust to the odd slow round a shared machine gives.</summary>
internal static class Median
{
    public static double Of(double[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }
}
