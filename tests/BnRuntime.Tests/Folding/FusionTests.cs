using System;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Tests.Folding;

/// <summary>
/// BatchNormFusion on module trees built by hand: every (layer, site) pair in a Sequential folds, sites then pass
/// their input through, and a tree it cannot fold is refused by path with nothing changed. Oracle: the tree's own
/// eval output before fusion.
/// </summary>
public sealed class FusionTests
{
    private static void Warm(nn.Module<Tensor, Tensor> model, long[] shape)
    {
        model.train();
        using (no_grad())
        {
            for (int i = 0; i < 3; i++)
                model.forward(randn(shape) * 2 + 0.5);
        }

        model.eval();
    }

    [Fact]
    public void Every_layer_site_pair_in_nested_Sequentials_folds_and_eval_is_kept()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(
            ("features", nn.Sequential(("0", nn.Conv2d(3, 8, 3, bias: false)), ("1", new BatchNormSite("1", 8)), ("2", nn.ReLU()))),
            ("up", nn.Sequential(("0", nn.ConvTranspose2d(8, 4, 2, stride: 2)), ("1", new BatchNormSite("1", 4)))),
            ("flatten", nn.Flatten()),
            ("head", nn.Sequential(("0", nn.Linear(4 * 12 * 12, 6)), ("1", new BatchNormSite("1", 6)))));
        Warm(model, new long[] { 5, 3, 8, 8 });
        var probe = randn(3, 3, 8, 8);
        var expected = model.forward(probe).detach();

        BatchNormFusion.Fuse(model);

        var sites = model.modules().OfType<BatchNormSite>().ToList();
        Assert.Equal(3, sites.Count);
        Assert.All(sites, s => Assert.True(s.IsFolded));
        TensorAssert.Close(expected, model.forward(probe), 1e-5, 1e-5, "eval output after fusion");
        var error = Assert.Throws<InvalidOperationException>(() => model.train());
        Assert.Contains("folded", error.Message);
    }

    [Fact]
    public void A_TorchSharp_BatchNorm_after_a_layer_folds_and_then_refuses_to_train()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(
            ("a", nn.Sequential(("0", nn.Linear(4, 4)), ("1", new BatchNormSite("1", 4)))),
            ("downsample", nn.Sequential(("0", nn.Linear(4, 4)), ("1", nn.BatchNorm1d(4)))));
        Warm(model, new long[] { 6, 4 });
        var probe = randn(5, 4);
        var expected = model.forward(probe);

        BatchNormFusion.Fuse(model);

        TensorAssert.Close(expected, model.forward(probe), 1e-5, 1e-5, "eval output after folding TorchSharp's BatchNorm1d");
        // The folded site refuses train() itself; TorchSharp's module cannot, so its next training forward refuses.
        var downsample = model.named_children().Single(c => c.name == "downsample").module;
        downsample.train();
        var error = Assert.Throws<InvalidOperationException>(() => ((nn.Module<Tensor, Tensor>)downsample).forward(probe));
        Assert.Contains("'downsample.1' was folded into 'downsample.0'", error.Message);
    }

    [Fact]
    public void A_TorchSharp_BatchNorm_that_follows_no_layer_is_refused_by_path_and_nothing_changes()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(
            ("a", nn.Sequential(("0", nn.Linear(4, 4)), ("1", new BatchNormSite("1", 4)))),
            ("b", nn.Sequential(("0", nn.Linear(4, 4)), ("act", nn.ReLU()), ("norm", nn.BatchNorm1d(4)))));
        Warm(model, new long[] { 6, 4 });
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var error = Assert.Throws<InvalidOperationException>(() => BatchNormFusion.Fuse(model));

        Assert.Contains("'b.norm' is TorchSharp's BatchNorm1d", error.Message);
        Assert.Contains("Nothing was changed", error.Message);
        Assert.All(model.modules().OfType<BatchNormSite>(), s => Assert.False(s.IsFolded));
        foreach (var (name, value) in model.state_dict())
            TensorAssert.Identical(before[name], value, name);
    }

    [Fact]
    public void A_refusal_inside_a_nested_generated_block_names_the_path_from_the_network_called()
    {
        using var scope = NewDisposeScope();
        using var network = new BnGen.TestSupport.ResNet.ResNet18BN();
        network.eval();
        var site = network.named_modules().Single(m => m.name == "layer2.0.downsample.1").module;
        site.train();

        var error = Assert.Throws<InvalidOperationException>(() => network.FuseBatchNorm());

        Assert.Contains("Path: 'layer2.0.downsample.1'", error.Message);
        Assert.All(network.modules().OfType<BatchNormSite>(), s => Assert.False(s.IsFolded));
    }

    [Fact]
    public void A_tree_in_training_mode_is_refused()
    {
        var model = nn.Sequential(("0", nn.Linear(4, 4)), ("1", new BatchNormSite("1", 4)));
        model.train();
        var error = Assert.Throws<InvalidOperationException>(() => BatchNormFusion.Fuse(model));
        Assert.Contains("eval()", error.Message);
    }

    [Fact]
    public void A_folded_site_passes_its_input_through_and_cannot_be_folded_twice()
    {
        using var scope = NewDisposeScope();
        var linear = nn.Linear(3, 3);
        using var site = new BatchNormSite("bn", 3);
        site.eval();
        BatchNormFolding.FoldInto(linear, site);
        var x = randn(2, 3);

        TensorAssert.Identical(x, site.forward(x), "folded site output");
        var error = Assert.Throws<InvalidOperationException>(() => BatchNormFolding.FoldInto(linear, site));
        Assert.Contains("already folded", error.Message);
        Assert.Throws<InvalidOperationException>(() => site.train());
        Assert.False(site.training);
    }
}
