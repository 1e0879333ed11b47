using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Tests.Sites;

/// <summary>
/// BatchNormSite against TorchSharp's own nn.BatchNorm1d/2d/3d, the ATen kernels PyTorch uses. Both run the
/// same fused kernel with the same arguments, so everything is compared bit for bit: outputs, gradients
/// with respect to input, weight and bias, running statistics and the batch counter over several training
/// steps, and eval outputs afterwards.
/// </summary>
public sealed class NativeParityTests
{
    public static IEnumerable<object[]> Shapes() => new[]
    {
        new object[] { new long[] { 2, 1 } },
        new object[] { new long[] { 2, 7 } },
        new object[] { new long[] { 256, 64 } },
        new object[] { new long[] { 33, 512 } },
        new object[] { new long[] { 2, 3, 1 } },
        new object[] { new long[] { 5, 16, 13 } },
        new object[] { new long[] { 2, 8, 7, 5 } },
        new object[] { new long[] { 9, 32, 11, 3 } },
        new object[] { new long[] { 2, 4, 3, 5, 7 } },
        new object[] { new long[] { 3, 6, 1, 4, 3 } },
    };

    public static IEnumerable<object[]> Options() => new[]
    {
        //               momentum, eps,   affine, track
        new object[] { 0.1,      1e-5,  true,   true },
        new object[] { 0.3,      1e-3,  true,   true },
        new object[] { 1.0,      1e-5,  true,   true },
        new object[] { 0.1,      1e-5,  false,  true },
        new object[] { 0.1,      1e-5,  true,   false },
        new object[] { 0.05,     0.5,   false,  false },
    };

    public static IEnumerable<object[]> Cases() =>
        from shape in Shapes()
        from options in Options()
        from dtype in new[] { ScalarType.Float32, ScalarType.Float64 }
        select shape.Concat(options).Append(dtype).ToArray();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Training_steps_and_eval_match_torchsharp_bit_for_bit(long[] shape, double momentum, double eps, bool affine, bool track, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        long channels = shape[1];
        var generator = new Generator((ulong)Seed(shape, momentum, eps, affine, track, dtype));

        using var site = new BatchNormSite("site", channels, momentum, eps, affine, track, dtype: dtype);
        using var native = NativeBatchNorm(shape.Length, channels, momentum, eps, affine, track, dtype);
        if (affine)
        {
            // Non-trivial gamma and beta, the same in both.
            using var noGrad = no_grad();
            var gamma = rand(channels, dtype: dtype, generator: generator) + 0.5;
            var beta = randn(channels, dtype: dtype, generator: generator);
            site.Weight!.copy_(gamma);
            site.Bias!.copy_(beta);
            native.weight.copy_(gamma);
            native.bias!.copy_(beta);
        }

        site.train();
        native.train();
        for (int step = 0; step < 3; step++)
        {
            var x = (randn(shape, dtype: dtype, generator: generator) * (step + 1) + step).requires_grad_();
            var xNative = x.detach().clone().requires_grad_();
            var upstream = randn(shape, dtype: dtype, generator: generator);

            var y = site.forward(x);
            var yNative = native.forward(xNative);
            y.backward(new[] { upstream });
            yNative.backward(new[] { upstream });

            TensorAssert.Identical(yNative, y, $"step {step} output");
            TensorAssert.Identical(xNative.grad!, x.grad!, $"step {step} input gradient");
            if (affine)
            {
                TensorAssert.Identical(native.weight.grad!, site.Weight!.grad!, $"step {step} weight gradient");
                TensorAssert.Identical(native.bias!.grad!, site.Bias!.grad!, $"step {step} bias gradient");
                site.Weight.grad!.zero_();
                site.Bias.grad!.zero_();
                native.weight.grad!.zero_();
                native.bias.grad!.zero_();
            }

            if (track)
            {
                TensorAssert.Identical(native.running_mean!, site.RunningMean!, $"step {step} running_mean");
                TensorAssert.Identical(native.running_var!, site.RunningVar!, $"step {step} running_var");
                Assert.Equal(step + 1, site.NumBatchesTracked!.item<long>());
                Assert.False(site.RunningMean!.requires_grad);
            }
        }

        site.eval();
        native.eval();
        var probe = randn(shape, dtype: dtype, generator: generator);
        TensorAssert.Identical(native.forward(probe), site.forward(probe), "eval output");
    }

    private static BatchNorm NativeBatchNorm(int rank, long channels, double momentum, double eps, bool affine, bool track, ScalarType dtype) => rank switch
    {
        2 or 3 => nn.BatchNorm1d(channels, eps, momentum, affine, track, dtype: dtype),
        4 => nn.BatchNorm2d(channels, eps, momentum, affine, track, dtype: dtype),
        _ => nn.BatchNorm3d(channels, eps, momentum, affine, track, dtype: dtype),
    };

    private static long Seed(long[] shape, double momentum, double eps, bool affine, bool track, ScalarType dtype) =>
        shape.Aggregate(17L, (h, d) => h * 31 + d) ^ (long)(momentum * 1000) ^ (long)(eps * 1e6) << 8 ^ (affine ? 1 : 0) << 20 ^ (track ? 1 : 0) << 21 ^ (long)dtype << 24;
}
