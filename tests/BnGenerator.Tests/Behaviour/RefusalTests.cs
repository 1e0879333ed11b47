using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BnGen.Generator.Tests.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// Operations a generated network refuses: each names what is wrong and leaves every parameter and buffer as it
/// was. Oracles: the network's own state before the call (bit-identical), and the fused network's outputs.
/// </summary>
public sealed class RefusalTests
{
    private static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    private static void AssertUnchanged(Dictionary<string, Tensor> before, nn.Module module)
    {
        var after = module.state_dict();
        Assert.Equal(before.Keys.OrderBy(k => k, StringComparer.Ordinal), after.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (name, value) in before)
            TensorAssert.Identical(value, after[name], name);
    }

    private static void Train(nn.Module<Tensor, Tensor> net, long[] shape, int steps, int seed)
    {
        var generator = new torch.Generator((ulong)seed);
        net.train();
        using var noGrad = no_grad();
        for (int i = 0; i < steps; i++)
            net.forward(randn(shape, generator: generator) * 1.5 + 0.3);
    }

    [Fact]
    public void A_batch_of_one_through_conv_and_dense_sites_is_refused_before_any_site_changes()
    {
        using var scope = NewDisposeScope();
        using var net = new BiasFreeLeNetBN();
        Train(net, new long[] { 4, 1, 12, 12 }, 2, 1);
        var before = Snapshot(net);

        // conv1_bn alone would accept [1, 4, 8, 8] (64 values per channel); fc1_bn cannot normalize one sample.
        var error = Assert.Throws<ArgumentException>(() => net.forward(randn(1, 1, 12, 12)));

        Assert.Contains("'fc1_bn'", error.Message);
        Assert.Contains("[1, 1, 12, 12]", error.Message);
        AssertUnchanged(before, net);
        net.eval();
        Assert.Equal(new long[] { 1, 10 }, net.forward(randn(1, 1, 12, 12)).shape);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_fused_checkpoint_loads_only_into_a_fused_network_and_reproduces_its_outputs(bool viaStateDict)
    {
        using var scope = NewDisposeScope();
        using var original = new BiasFreeLeNetBN();
        Train(original, new long[] { 8, 1, 12, 12 }, 4, 2);
        original.eval();
        original.FuseBatchNorm();
        var probe = randn(5, 1, 12, 12);
        var expected = original.forward(probe).detach();
        Assert.Contains(BatchNormNetwork.FusedMarkerKey, original.state_dict().Keys);

        string path = Path.GetTempFileName();
        try
        {
            original.save(path);

            // Into a fresh, unfused network: refused by name, nothing loaded.
            using var unfused = new BiasFreeLeNetBN();
            var before = Snapshot(unfused);
            var error = Assert.Throws<InvalidOperationException>(() => Load(unfused, original, path, viaStateDict));
            Assert.Contains("FuseBatchNorm()", error.Message);
            Assert.Contains(BatchNormNetwork.FusedMarkerKey, error.Message);
            AssertUnchanged(before, unfused);

            // Into a fresh network fused first: the fused network's outputs, bit for bit.
            using var fused = new BiasFreeLeNetBN();
            fused.eval();
            fused.FuseBatchNorm();
            Load(fused, original, path, viaStateDict);
            TensorAssert.Identical(expected, fused.forward(probe), "eval output of the reloaded fused checkpoint");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_unfused_checkpoint_is_refused_by_a_fused_network()
    {
        using var scope = NewDisposeScope();
        using var trained = new SimpleNetBN();
        Train(trained, new long[] { 8, 1, 28, 28 }, 2, 3);
        using var fused = new SimpleNetBN();
        fused.eval();
        fused.FuseBatchNorm();
        var before = Snapshot(fused);

        var error = Assert.Throws<InvalidOperationException>(() => fused.load_state_dict(trained.state_dict()));

        Assert.Contains("saved unfused", error.Message);
        AssertUnchanged(before, fused);
    }

    private static void Load(nn.Module target, nn.Module source, string path, bool viaStateDict)
    {
        if (viaStateDict)
            target.load_state_dict(source.state_dict());
        else
            target.load(path);
    }

    [Fact]
    public void Train_after_fusion_is_refused_and_leaves_the_network_in_eval_even_inside_a_parent()
    {
        using var scope = NewDisposeScope();
        var net = new SimpleNetBN();
        net.eval();
        net.FuseBatchNorm();
        Assert.True(net.IsBatchNormFused);

        Assert.Throws<InvalidOperationException>(() => net.train());
        Assert.False(net.training);

        using var parent = nn.Sequential(("net", (nn.Module<Tensor, Tensor>)net));
        parent.eval();
        Assert.Throws<InvalidOperationException>(() => parent.train());
        Assert.False(net.training);
        Assert.All(net.modules(), m => Assert.False(m.training, m.GetName()));
    }

    [Fact]
    public void A_layer_left_null_by_the_constructor_is_named_by_InitializeBatchNorm()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ForgetfulNetBN(assignEveryLayer: false));
        Assert.Contains("'fc2'", error.Message);
        Assert.Contains("ForgetfulNetBN", error.Message);
        using var complete = new ForgetfulNetBN(assignEveryLayer: true);
        Assert.Contains("fc2.weight", complete.state_dict().Keys);
    }

    [Fact]
    public void Layers_named_like_generated_locals_and_keywords_run_and_register_under_their_names()
    {
        using var scope = NewDisposeScope();
        using var net = new PortedNamesNet();
        Assert.Equal(new[] { "input", "input_bn", "x", "class", "class_bn", "event", "output" }, net.named_children().Select(c => c.name));

        using var reference = nn.Sequential(
            ("input", nn.Linear(6, 8, hasBias: false)), ("input_bn", nn.BatchNorm1d(8)), ("x", nn.ReLU()),
            ("class", nn.Linear(8, 8, hasBias: false)), ("class_bn", nn.BatchNorm1d(8)), ("event", nn.ReLU()),
            ("output", nn.Linear(8, 3)));
        reference.load_state_dict(net.state_dict());
        net.train();
        reference.train();
        var batch = randn(7, 6);
        TensorAssert.Identical(reference.forward(batch), net.forward(batch), "training output against nn.Sequential + nn.BatchNorm1d");
    }

    [Fact]
    public void A_site_with_an_infinite_eps_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNormSite("bn", 4, eps: double.PositiveInfinity));
        Assert.Contains("'bn'", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNormSite("bn", 4, eps: double.NaN));
    }
}
