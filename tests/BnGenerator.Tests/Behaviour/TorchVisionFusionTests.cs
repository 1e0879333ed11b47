using System;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// BatchNormFusion.Fuse on models BnGen did not write: TorchVision.NET's resnet18() (BatchNorm2d as fields bnK beside
/// convK, called by a hand-written forward, and in downsample Sequentials) and mobilenet_v2() (BatchNorm2d after its
/// convolution in Sequentials). Oracle: the same model unfused, in eval, with running statistics made non-trivial by
/// a few training batches; tolerance 1e-5 of the logits' scale (the fold is float64 math rounded once to float32).
/// </summary>
public sealed class TorchVisionFusionTests
{
    public static TheoryData<string> Models() => new() { "resnet18", "mobilenet_v2" };

    [Theory]
    [MemberData(nameof(Models))]
    public void Every_BatchNorm2d_of_a_TorchVision_model_folds_and_the_outputs_stay(string name)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        nn.Module<Tensor, Tensor> model = name == "resnet18" ? torchvision.models.resnet18() : torchvision.models.mobilenet_v2();
        model.train();
        using (no_grad())
        {
            for (int i = 0; i < 2; i++)
                model.call(randn(4, 3, 64, 64));
        }

        model.eval();
        var probe = randn(2, 3, 64, 64);
        var expected = model.call(probe);
        int batchNorms = model.modules().OfType<BatchNorm2d>().Count();

        BatchNormFusion.Fuse(model);

        double scale = expected.abs().max().item<float>();
        TensorAssert.Close(expected, model.call(probe), 1e-5 * scale, 0, $"{name}: logits after folding its {batchNorms} BatchNorm2d");
        // Every one left the forward (PyTorch's fuse_modules leaves an Identity), so none of its state is saved either.
        Assert.Empty(model.modules().OfType<BatchNorm2d>());
        Assert.DoesNotContain(model.state_dict().Keys, key => key.EndsWith("running_mean", StringComparison.Ordinal));

        // The fused checkpoint loads into a fused instance, and an unfused one refuses it (its layers have no bias).
        string checkpoint = System.IO.Path.GetTempFileName();
        try
        {
            model.save(checkpoint);
            nn.Module<Tensor, Tensor> copy = name == "resnet18" ? torchvision.models.resnet18() : torchvision.models.mobilenet_v2();
            copy.eval();
            Assert.ThrowsAny<Exception>(() => copy.load(checkpoint));
            BatchNormFusion.Fuse(copy);
            copy.load(checkpoint);
            TensorAssert.Close(expected, copy.call(probe), 1e-5 * scale, 0, $"{name}: a fused copy loaded from the fused checkpoint");
        }
        finally
        {
            System.IO.File.Delete(checkpoint);
        }

        model.train();
        var error = Assert.Throws<InvalidOperationException>(() => model.call(probe));
        Assert.Contains("was folded into", error.Message);
        Assert.Contains("cannot train", error.Message);
    }

    [Fact]
    public void A_frozen_TorchVision_resnet18_keeps_its_statistics_and_gamma_beta_through_a_parents_train()
    {
        // TorchSharp's BatchNorm2d cannot be changed, so it is frozen by a forward pre-hook; TorchVision.NET calls its
        // children through call(), where hooks run. Oracle: the statistics before, bit for bit.
        using var scope = NewDisposeScope();
        manual_seed(8);
        var model = torchvision.models.resnet18();
        var batchNorms = model.modules().OfType<BatchNorm2d>().ToList();
        var before = batchNorms.Select(b => (b.running_mean!.clone(), b.running_var!.clone())).ToList();

        Assert.Equal(20, BatchNormFreezing.Freeze(model));
        model.train();
        model.call(randn(2, 3, 64, 64) * 3 + 1);

        for (int i = 0; i < batchNorms.Count; i++)
        {
            TensorAssert.Identical(before[i].Item1, batchNorms[i].running_mean!, $"BatchNorm2d {i}: running mean");
            TensorAssert.Identical(before[i].Item2, batchNorms[i].running_var!, $"BatchNorm2d {i}: running variance");
            Assert.False(batchNorms[i].weight!.requires_grad, "gamma stays frozen");
        }
    }
}
