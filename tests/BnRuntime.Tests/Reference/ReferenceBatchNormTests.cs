using static TorchSharp.torch;

namespace BnGen.Tests.Reference;

/// <summary>The readable reference against TorchSharp's native BatchNorm in float64.</summary>
public sealed class ReferenceBatchNormTests
{
    [Theory]
    [InlineData(new long[] { 16, 6 }, 0.1, true)]
    [InlineData(new long[] { 4, 5, 9 }, 0.3, false)]
    [InlineData(new long[] { 3, 4, 5, 7 }, 1.0, true)]
    [InlineData(new long[] { 2, 3, 4, 3, 5 }, 0.1, true)]
    public void Matches_native_batch_norm_in_float64(long[] shape, double momentum, bool affine)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(11);
        long c = shape[1];
        using var native = shape.Length switch
        {
            2 or 3 => (TorchSharp.Modules.BatchNorm)nn.BatchNorm1d(c, 1e-5, momentum, affine, dtype: float64),
            4 => nn.BatchNorm2d(c, 1e-5, momentum, affine, dtype: float64),
            _ => nn.BatchNorm3d(c, 1e-5, momentum, affine, dtype: float64),
        };
        var gamma = affine ? rand(c, dtype: float64, generator: generator) + 0.5 : null;
        var beta = affine ? randn(c, dtype: float64, generator: generator) : null;
        if (affine)
        {
            using var noGrad = no_grad();
            native.weight.copy_(gamma!);
            native.bias!.copy_(beta!);
        }

        var runningMean = zeros(c, dtype: float64);
        var runningVar = ones(c, dtype: float64);
        long batches = 0;
        native.train();
        for (int step = 0; step < 3; step++)
        {
            var x = randn(shape, dtype: float64, generator: generator) * 2 + step;
            var expected = native.forward(x);
            var actual = ReferenceBatchNorm.Forward(x, gamma, beta, runningMean, runningVar, ref batches, training: true, momentum);

            // Different summation order from ATen's fused kernel: float64 agreement to ~1e-10.
            TensorAssert.Close(expected, actual, 1e-10, 1e-10, $"step {step} output");
            TensorAssert.Close(native.running_mean!, runningMean, 1e-10, 1e-10, $"step {step} running_mean");
            TensorAssert.Close(native.running_var!, runningVar, 1e-10, 1e-10, $"step {step} running_var");
        }

        native.eval();
        var probe = randn(shape, dtype: float64, generator: generator);
        TensorAssert.Close(native.forward(probe), ReferenceBatchNorm.Forward(probe, gamma, beta, runningMean, runningVar, ref batches, training: false), 1e-10, 1e-10, "eval output");
        Assert.Equal(3, batches);
    }

    [Fact]
    public void Statistics_use_every_value_of_a_channel_for_conv_inputs()
    {
        using var scope = NewDisposeScope();
        // Channel 0 holds 0..7, channel 1 holds 10 everywhere: n = N·H·W = 2·2·2 = 8.
        var x = cat(new[] { arange(8, dtype: float64).reshape(2, 1, 2, 2), full(2, 1, 2, 2, 10.0, dtype: float64) }, 1);
        var stats = ReferenceBatchNorm.BatchStatistics(x);

        Assert.Equal(8, stats.ValuesPerChannel);
        Assert.Equal(new[] { 3.5, 10.0 }, stats.Mean.data<double>().ToArray());
        Assert.Equal(new[] { 5.25, 0.0 }, stats.BiasedVariance.data<double>().ToArray());
        Assert.Equal(6.0, stats.UnbiasedVariance.data<double>()[0], 12);
    }
}
