using System;
using System.Linq;
using BnGen.TestSupport.Article;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace BnGen.Tests.Sites;

/// <summary>
/// A network in bfloat16 with its batch norm in float32 (<see cref="BatchNormSite.KeepsFloat32"/>). Oracle: ATen's own
/// mixed-type batch norm — TorchSharp's float32 <c>BatchNorm2d</c> on the same bfloat16 input, the kernel PyTorch's AMP
/// recipes rely on — bit for bit in training and eval, gradients included; and a float64 reference for the running
/// statistics over 100 steps, where statistics kept in bfloat16 drift.
/// </summary>
public sealed class MixedPrecisionTests(ITestOutputHelper output)
{
    [Fact]
    public void A_float32_site_on_bfloat16_input_is_ATens_mixed_type_batch_norm_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var site = new BatchNormSite("bn", 6, input: BatchNormInputKind.Conv2d) { KeepsFloat32 = true };
        var native = nn.BatchNorm2d(6);
        using (no_grad())
        {
            var gamma = rand(6) + 0.5;
            var beta = randn(6);
            site.Weight!.copy_(gamma);
            site.Bias!.copy_(beta);
            native.weight!.copy_(gamma);
            native.bias!.copy_(beta);
        }

        for (int step = 0; step < 3; step++)
        {
            var data = (randn(8, 6, 5, 5) * 3 + 1).to(ScalarType.BFloat16);
            var x1 = data.clone().requires_grad_();
            var x2 = data.clone().requires_grad_();
            var upstream = randn(8, 6, 5, 5).to(ScalarType.BFloat16);
            var y1 = site.call(x1);
            var y2 = native.call(x2);
            Assert.Equal(ScalarType.BFloat16, y1.dtype);
            TensorAssert.Identical(y2, y1, $"training output, step {step}");
            y1.backward([upstream]);
            y2.backward([upstream]);
            TensorAssert.Identical(x2.grad!, x1.grad!, $"input gradient, step {step}");
        }

        TensorAssert.Identical(native.weight!.grad!, site.Weight!.grad!, "gamma's gradient (float32)");
        TensorAssert.Identical(native.bias!.grad!, site.Bias!.grad!, "beta's gradient (float32)");
        TensorAssert.Identical(native.running_mean!, site.RunningMean!, "running mean (float32)");
        TensorAssert.Identical(native.running_var!, site.RunningVar!, "running variance (float32)");

        site.eval();
        native.eval();
        var probe = randn(4, 6, 5, 5).to(ScalarType.BFloat16);
        TensorAssert.Identical(native.call(probe), site.call(probe), "eval output");
    }

    [Fact]
    public void A_network_converted_to_bfloat16_keeps_its_sites_in_float32_and_trains_and_fuses()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        using var net = new ConvNetBN();
        Assert.Equal(3, BatchNormPrecision.KeepFloat32(net));
        net.to(ScalarType.BFloat16);

        foreach (var (name, tensor) in net.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(net.named_buffers()))
        {
            var expected = name.Contains("_bn.", StringComparison.Ordinal)
                ? (name.EndsWith("num_batches_tracked", StringComparison.Ordinal) ? ScalarType.Int64 : ScalarType.Float32)
                : ScalarType.BFloat16;
            Assert.True(tensor.dtype == expected, $"{name} is {tensor.dtype}, expected {expected}");
        }

        var optimizer = optim.SGD(net.parameters(), 0.05);
        for (int step = 0; step < 3; step++)
        {
            optimizer.zero_grad();
            var logits = net.call(randn(16, 1, 28, 28).to(ScalarType.BFloat16));
            Assert.Equal(ScalarType.BFloat16, logits.dtype);
            nn.functional.cross_entropy(logits.to(ScalarType.Float32), randint(0, 10, 16)).backward();
            optimizer.step();
        }

        net.eval();
        var probe = randn(8, 1, 28, 28).to(ScalarType.BFloat16);
        var before = net.call(probe).to(ScalarType.Float32);
        net.FuseBatchNorm();
        var after = net.call(probe).to(ScalarType.Float32);
        // Folding rounds the combined weights to bfloat16 once: within bfloat16's resolution of the logits' scale.
        double scale = before.abs().max().item<float>();
        TensorAssert.Close(before, after, 0.03 * scale, 0, "fused bfloat16 network against unfused");

        // A later to() keeps the rule; float64 is converted as asked.
        using var other = new SimpleNetBN();
        BatchNormPrecision.KeepFloat32(other);
        other.to(ScalarType.Float16);
        Assert.Equal(ScalarType.Float32, other.named_buffers().Single(b => b.name == "fc1_bn.running_mean").buffer.dtype);
        other.to(ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, other.named_buffers().Single(b => b.name == "fc1_bn.running_mean").buffer.dtype);
    }

    [Fact]
    public void Statistics_kept_in_float32_follow_a_float64_reference_where_bfloat16_statistics_drift()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var reference = new BatchNormSite("reference", 16, input: BatchNormInputKind.Dense, dtype: ScalarType.Float64);
        var kept = new BatchNormSite("kept", 16, input: BatchNormInputKind.Dense) { KeepsFloat32 = true };
        var half = new BatchNormSite("half", 16, input: BatchNormInputKind.Dense, dtype: ScalarType.BFloat16);
        // Features far from 0 with a small spread, as after a layer whose outputs share a large offset.
        var offset = linspace(50, 200, 16);
        for (int step = 0; step < 100; step++)
        {
            using var stepScope = NewDisposeScope();
            var data = (randn(64, 16) + offset).to(ScalarType.BFloat16);
            reference.call(data.to(ScalarType.Float64));
            kept.call(data);
            half.call(data);
        }

        double Error(Tensor actual, Tensor expected) => (actual.to(ScalarType.Float64) - expected).abs().max().item<double>();
        double keptMean = Error(kept.RunningMean!, reference.RunningMean!), halfMean = Error(half.RunningMean!, reference.RunningMean!);
        double keptVar = Error(kept.RunningVar!, reference.RunningVar!), halfVar = Error(half.RunningVar!, reference.RunningVar!);
        output.WriteLine($"after 100 steps, max |error| against float64: running mean {keptMean:G3} (float32 site) vs {halfMean:G3} (bfloat16 site); running variance {keptVar:G3} vs {halfVar:G3}");

        Assert.True(keptMean < 1e-3 && keptVar < 1e-3, $"float32 statistics: mean error {keptMean}, variance error {keptVar}");
        Assert.True(halfMean > 10 * keptMean, $"bfloat16 statistics were expected to drift: mean error {halfMean} against {keptMean}");
    }
}
