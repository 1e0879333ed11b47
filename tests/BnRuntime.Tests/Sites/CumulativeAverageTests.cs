using System.Linq;
using static TorchSharp.torch;

namespace BnGen.Tests.Sites;

/// <summary>
/// PyTorch's momentum=None: the running statistics are the plain average of every batch's statistics.
/// TorchSharp's module has no such mode, so the oracle is that average computed directly in float64.
/// </summary>
public sealed class CumulativeAverageTests
{
    [Theory]
    [InlineData(new long[] { 8, 5 })]
    [InlineData(new long[] { 4, 3, 6, 5 })]
    [InlineData(new long[] { 2, 2, 3, 3, 3 })]
    public void Running_statistics_are_the_average_of_all_batch_statistics(long[] shape)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(2024);
        using var site = new BatchNormSite("cma", shape[1], cumulativeAverage: true, dtype: float64);
        site.train();

        long[] reduce = Enumerable.Range(0, shape.Length).Where(d => d != 1).Select(d => (long)d).ToArray();
        long n = shape.Aggregate(1L, (a, b) => a * b) / shape[1];
        var meanSum = zeros(shape[1], dtype: float64);
        var varSum = zeros(shape[1], dtype: float64);
        const int batches = 5;
        for (int b = 0; b < batches; b++)
        {
            var x = randn(shape, dtype: float64, generator: generator) * (b + 1) - b;
            site.forward(x);
            meanSum += x.mean(reduce);
            varSum += x.var(reduce, unbiased: true);
        }

        // Summation orders differ between ATen's kernel and this loop: agreement to ~1e-12 in float64.
        TensorAssert.Close(meanSum / batches, site.RunningMean!, 1e-12, 1e-12, "running_mean");
        TensorAssert.Close(varSum / batches, site.RunningVar!, 1e-12, 1e-12, "running_var");
        Assert.Equal(batches, site.NumBatchesTracked!.item<long>());
    }

    [Fact]
    public void Cumulative_average_without_running_statistics_is_refused()
    {
        var error = Assert.Throws<System.ArgumentException>(() => new BatchNormSite("cma", 4, trackRunningStats: false, cumulativeAverage: true));
        Assert.Contains("'cma'", error.Message);
    }
}
