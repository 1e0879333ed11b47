using System;
using System.Collections.Generic;
using System.Linq;
using BnGen.Generator.Tests.Infrastructure;
using BnGen.Generator.Tests.Networks;
using BnGen.TestSupport.ResNet;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// ResNet-18 declared with BnGen (a BasicBlock with its own forward, Sequential stages, downsample) against
/// TorchVision.NET's <c>torchvision.models.resnet18()</c> (NuGet TorchVision 0.107.0, TorchSharp's ATen
/// BatchNorm2d): the same state_dict keys and shapes, and the same numbers bit for bit from the same weights.
/// </summary>
public sealed class ResNet18Tests
{
    private static nn.Module<Tensor, Tensor> TorchVisionResNet18() => torchvision.models.resnet18();

    [Fact]
    public void The_state_dict_has_TorchVisions_keys_and_shapes_and_loads_strictly_both_ways()
    {
        using var ours = new ResNet18BN();
        using var reference = TorchVisionResNet18();
        var mine = ours.state_dict();
        var theirs = reference.state_dict();

        Assert.Equal(theirs.Keys.OrderBy(k => k, StringComparer.Ordinal), mine.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (key, value) in theirs)
            Assert.True(value.shape.SequenceEqual(mine[key].shape), $"{key}: TorchVision {string.Join("x", value.shape)}, BnGen {string.Join("x", mine[key].shape)}");
        Assert.Contains("layer2.0.downsample.1.running_var", mine.Keys);
        Assert.Equal(122, theirs.Count);

        reference.load_state_dict(ours.state_dict(), strict: true);
        ours.load_state_dict(reference.state_dict(), strict: true);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void Training_and_eval_are_bit_identical_to_TorchVision_and_fusion_keeps_eval(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var ours = new ResNet18BN();
        var reference = TorchVisionResNet18();
        ours.to(dtype);
        reference.to(dtype);
        reference.load_state_dict(ours.state_dict());
        var data = new torch.Generator(5);
        LockstepTraining.AssertIdentical(ours, reference, steps: 3,
            _ => (randn(new long[] { 4, 3, 64, 64 }, dtype: dtype, generator: data), randint(0, 1000, new long[] { 4 }, generator: data)),
            (output, labels) => nn.functional.cross_entropy(output, labels),
            learningRate: 0.01, momentum: 0.9);

        ours.eval();
        reference.eval();
        var probe = randn(new long[] { 2, 3, 64, 64 }, dtype: dtype, generator: data);
        var expected = reference.forward(probe).detach();
        TensorAssert.Identical(expected, ours.forward(probe), "eval output");

        ours.FuseBatchNorm();
        var sites = ours.named_modules().Select(m => m.module).OfType<BatchNormSite>().ToList();
        Assert.Equal(20, sites.Count);
        Assert.All(sites, s => Assert.True(s.IsFolded, s.SiteName));
        Assert.All(ours.modules().OfType<BasicBlock>(), b => Assert.True(b.IsBatchNormFused));
        // Folding reassociates products: 1e-5 relative to the logits' scale in float32 (1e-10 in float64).
        double tolerance = dtype == ScalarType.Float32 ? 1e-5 : 1e-10;
        double scale = expected.abs().max().to(ScalarType.Float64).item<double>();
        TensorAssert.Close(expected, ours.forward(probe), tolerance * scale, tolerance, "eval output after FuseBatchNorm");
    }

    [Fact]
    public void Fusion_in_a_tree_with_a_block_left_in_training_changes_nothing()
    {
        using var scope = NewDisposeScope();
        using var ours = new ResNet18BN();
        ours.eval();
        var block = ours.modules().OfType<BasicBlock>().Last();
        block.train();
        var before = ours.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var error = Assert.Throws<InvalidOperationException>(() => ours.FuseBatchNorm());

        Assert.Contains("layer4.1", error.Message);
        Assert.Contains("training mode", error.Message);
        Assert.False(ours.IsBatchNormFused);
        Assert.All(ours.modules().OfType<BatchNormSite>(), s => Assert.False(s.IsFolded, s.SiteName));
        foreach (var (name, value) in ours.state_dict())
            TensorAssert.Identical(before[name], value, name);
    }
}
