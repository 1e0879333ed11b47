using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BnGen.TestSupport.Article;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.PyTorch.Tests;

/// <summary>
/// Batch norm through a model's life — fine-tuning with frozen statistics, recomputing them from data — against real
/// PyTorch 1.13 and torchvision 0.14 (Fixtures/make_lifecycle_fixtures.py): a PyTorch checkpoint loaded, then the same
/// steps as PyTorch. Logits of the fine-tuned ResNet-18: 1e-5 of their scale.
/// Tolerances, float32: 1e-6 absolute on every tensor after fine-tuning, 1e-6 absolute and relative on recomputed
/// statistics (summation order is all that differs); frozen running statistics bit-identical.
/// </summary>
public sealed class LifecycleTests
{
    private const double Tolerance = 1e-6;

    private static string Fixture(string name) => PyTorchFixtures.PathOf(name);

    private static Dictionary<string, Tensor> Read(string name) => PyTorchFixtures.Tensors(name);

    [Theory]
    [InlineData(false, "frozen.")]
    [InlineData(true, "affine.")]
    public void Fine_tuning_with_frozen_batch_norm_matches_PyTorch_and_a_parents_train_does_not_unfreeze(bool trainAffine, string prefix)
    {
        using var scope = NewDisposeScope();
        var reference = Read("ConvNetBN.frozen.pt");
        using var net = new ConvNetBN().LoadPyTorch(Fixture("ConvNetBN.pt"));
        var statisticsBefore = net.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());

        Assert.Equal(3, BatchNormFreezing.Freeze(net, trainAffine));
        net.train(); // the pitfall: a parent's train() must not unfreeze
        SgdSteps(net, reference, 0.05);

        foreach (var (key, value) in net.state_dict())
        {
            if (statisticsBefore.TryGetValue(key, out var before))
                TensorAssert.Identical(before, value, $"{key}: frozen statistics must not change");
            TensorAssert.Close(reference[prefix + key], value, Tolerance, 0, $"{key} after 3 steps, against PyTorch ({prefix.TrimEnd('.')})");
        }

        // The checkpoint is the plain one (PyTorch loads it), and unfreezing trains batch norm again.
        Assert.Equal(new ConvNetBN().state_dict().Keys.Order(), net.state_dict().Keys.Order());
        Assert.Equal(3, BatchNormFreezing.Unfreeze(net));
        net.train();
        net.call(reference["batch.0"]);
        Assert.NotEqual(statisticsBefore["conv1_bn.num_batches_tracked"].item<long>(), net.state_dict()["conv1_bn.num_batches_tracked"].item<long>());
    }

    [Theory]
    [InlineData("torchvision", false, "frozen.")]
    [InlineData("torchvision", true, "affine.")]
    [InlineData("BnGen", false, "frozen.")]
    [InlineData("BnGen", true, "affine.")]
    public void Fine_tuning_a_ResNet18_with_frozen_batch_norm_matches_torchvisions(string model, bool trainAffine, string prefix)
    {
        // PyTorch ran torchvision's resnet18 with FrozenBatchNorm2d ("frozen.") or with every BatchNorm2d in eval and
        // gamma/beta trainable ("affine."). Here: TorchVision.NET's resnet18() (TorchSharp's BatchNorm2d, frozen by
        // hooks) and BnGen's generated ResNet-18 (sites), the same checkpoint, the same three SGD steps.
        using var scope = NewDisposeScope();
        var reference = Read("ResNet18.frozen.pt");
        nn.Module<Tensor, Tensor> net = model == "torchvision" ? torchvision.models.resnet18() : new TestSupport.ResNet.ResNet18BN();
        var hashed = HashedWeights.Fill(net);
        foreach (string key in hashed)
            TensorAssert.Identical(reference["start.sample." + key], HashedWeights.StridedSample(net.state_dict()[key]), $"{key}: the hashed start weights, against make_lifecycle_fixtures.py's");
        net.LoadPyTorch(Fixture("ResNet18.start.pt"), strict: false);
        var statisticsBefore = net.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());

        Assert.Equal(20, BatchNormFreezing.Freeze(net, trainAffine));
        net.train(); // the pitfall: a parent's train() must not unfreeze
        SgdSteps(net, reference, 0.001);

        int compared = 0;
        foreach (var (key, value) in net.state_dict())
        {
            if (statisticsBefore.TryGetValue(key, out var before))
                TensorAssert.Identical(before, value, $"{key}: frozen statistics must not change");
            if (reference.TryGetValue(prefix + key, out var expected))
                TensorAssert.Close(expected, value, Tolerance, 0, $"{key} after 3 steps, against PyTorch ({prefix.TrimEnd('.')})");
            else if (reference.TryGetValue(prefix + "sample." + key, out var sample))
                TensorAssert.Close(sample, HashedWeights.StridedSample(value), Tolerance, 0, $"{key} (256 elements) after 3 steps, against PyTorch ({prefix.TrimEnd('.')})");
            else
            {
                Assert.EndsWith("num_batches_tracked", key); // FrozenBatchNorm2d keeps no counter; checked unchanged above
                continue;
            }

            compared++;
        }

        // 22 hashed conv/fc tensors and 20 batch norms of 5 tensors each; FrozenBatchNorm2d has no num_batches_tracked.
        Assert.Equal(trainAffine ? 122 : 102, compared);
        net.eval();
        using (no_grad())
        {
            var logits = reference[prefix + "logits"];
            // Logits sum 512 features after 20 convolutions: libtorch 1.13 and 2.10 reassociate those sums differently.
            double scale = logits.abs().max().item<float>();
            TensorAssert.Close(logits, net.call(reference["probe"]), 1e-5 * scale, 0, $"{model}: logits of a probe batch after fine-tuning");
        }
    }

    /// <summary>One SGD step on each of the fixture's three batches, over the parameters that require a gradient, as
    /// make_lifecycle_fixtures.py's <c>sgd_steps</c> takes them.</summary>
    private static void SgdSteps(nn.Module<Tensor, Tensor> net, Dictionary<string, Tensor> reference, double learningRate)
    {
        var optimizer = optim.SGD(net.parameters().Where(p => p.requires_grad), learningRate);
        for (int i = 0; i < 3; i++)
        {
            optimizer.zero_grad();
            nn.functional.cross_entropy(net.call(reference[$"batch.{i}"]), reference[$"labels.{i}"]).backward();
            optimizer.step();
        }
    }

    [Fact]
    public void Recomputing_statistics_matches_PyTorchs_update_bn_and_restores_the_mode()
    {
        using var scope = NewDisposeScope();
        var reference = Read("SimpleNetBN.update_bn.pt");
        using var net = new SimpleNetBN().LoadPyTorch(Fixture("SimpleNetBN.pt"));
        net.eval();
        var batches = Enumerable.Range(0, 3).Select(i => reference[$"batch.{i}"]).ToList();
        var reported = new List<int>();

        int updated = BatchNormStatistics.Recompute(net, batches, progress: new Progress(reported));

        Assert.Equal(2, updated);
        Assert.Equal(new[] { 1, 2, 3 }, reported);
        Assert.False(net.training, "eval mode restored");
        foreach (var (key, value) in net.state_dict().Where(kv => kv.Key.Contains("_bn.", StringComparison.Ordinal)))
        {
            if (value.dtype == ScalarType.Int64)
                TensorAssert.Identical(reference["after." + key], value, key);
            else
                // Batch statistics are sums over N values, reassociated differently by libtorch 1.13 and 2.10 (as for
                // the training output in PyTorchCheckpointTests): 1e-6 relative as well, measured 1.4e-6 on a variance of ~5.
                TensorAssert.Close(reference["after." + key], value, Tolerance, Tolerance, $"{key} after update_bn");
        }
    }

    [Fact]
    public void Population_statistics_are_the_mean_and_unbiased_variance_of_every_sample_and_differ_from_update_bns()
    {
        // float64 throughout; oracle: fc1's outputs for all samples concatenated (fc1_bn's input), mean and unbiased
        // variance per feature, 1e-10. Batches of different sizes and means, where the two modes disagree.
        using var scope = NewDisposeScope();
        manual_seed(12);
        using var net = new SimpleNetBN();
        net.to(ScalarType.Float64);
        var batches = new[] { (5L, 0.0), (40L, 1.5), (9L, -1.0) }.Select(b => randn(b.Item1, 1, 28, 28, ScalarType.Float64) + b.Item2).ToList();
        var fc1 = (TorchSharp.Modules.Linear)net.named_modules().Single(m => m.name == "fc1").module;
        Tensor all;
        using (no_grad())
            all = fc1.call(cat(batches.Select(b => b.flatten(1)).ToList()));

        BatchNormStatistics.Recompute(net, batches, BatchNormRecomputation.Population);

        var site = net.modules().OfType<BatchNormSite>().First(s => s.SiteName == "fc1_bn");
        TensorAssert.Close(all.mean([0]), site.RunningMean!, 1e-10, 1e-10, "fc1_bn: population mean");
        TensorAssert.Close(all.var(0, unbiased: true), site.RunningVar!, 1e-10, 1e-10, "fc1_bn: population unbiased variance");
        Assert.Equal(3, site.NumBatchesTracked!.item<long>());

        var population = site.RunningVar!.clone();
        BatchNormStatistics.Recompute(net, batches);
        double difference = (population - site.RunningVar!).abs().max().item<double>();
        Assert.True(difference > 0.01, $"the cumulative average of batch statistics should differ from the population's here; max difference {difference}");
    }

    [Fact]
    public void Freezing_and_recomputing_reach_TorchSharps_own_BatchNorm_too()
    {
        using var scope = NewDisposeScope();
        manual_seed(6);
        var model = nn.Sequential(("0", nn.Linear(4, 8)), ("1", nn.BatchNorm1d(8)), ("2", nn.ReLU()), ("3", nn.Linear(8, 2)));
        var batches = new[] { randn(6, 4), randn(10, 4) * 2 };

        Assert.Equal(1, BatchNormStatistics.Recompute(model, batches));
        var mean = ((TorchSharp.Modules.BatchNorm1d)model.named_children().Single(c => c.name == "1").module).running_mean!.clone();
        Assert.True(mean.abs().sum().item<float>() > 0);

        BatchNormFreezing.Freeze(model);
        model.train();
        model.call(randn(6, 4) * 5);
        TensorAssert.Identical(mean, ((TorchSharp.Modules.BatchNorm1d)model.named_children().Single(c => c.name == "1").module).running_mean!, "frozen BatchNorm1d's running mean");

        var refused = Assert.Throws<InvalidOperationException>(() => BatchNormStatistics.Recompute(model, batches));
        Assert.Contains("'1' is frozen", refused.Message);
    }

    private sealed class Progress(List<int> reported) : IProgress<int>
    {
        public void Report(int value) => reported.Add(value);
    }
}
