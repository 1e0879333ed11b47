using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BnGen.Generator.Tests.Infrastructure;
using BnGen.Generator.Tests.Networks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// Networks the generator compiled in this project, against the same networks written by hand with
/// nn.Sequential and TorchSharp's nn.BatchNorm1d/2d, starting from the same weights (the generated
/// state_dict keys are the hand-written Sequential's, so one loads into the other unchanged).
/// </summary>
public sealed class GeneratedNetworkTests
{
    private static Sequential HandWrittenSimpleNet() => nn.Sequential(
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(784, 64)), ("fc1_bn", nn.BatchNorm1d(64)), ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(64, 128)), ("fc2_bn", nn.BatchNorm1d(128)), ("relu2", nn.ReLU()),
        ("fc3", nn.Linear(128, 10)));

    internal static Sequential HandWrittenConvNet() => nn.Sequential(
        ("conv1", nn.Conv2d(1, 8, 3, padding: 1)), ("conv1_bn", nn.BatchNorm2d(8)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(8, 16, 3, padding: 1)), ("conv2_bn", nn.BatchNorm2d(16)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(16 * 7 * 7, 32)), ("fc1_bn", nn.BatchNorm1d(32)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(32, 10)));

    public static TheoryData<string, ScalarType> Pairs() => new()
    {
        { "dense", ScalarType.Float32 },
        { "dense", ScalarType.Float64 },
        { "conv", ScalarType.Float32 },
        { "conv", ScalarType.Float64 },
    };

    private static (nn.Module<Tensor, Tensor> Generated, nn.Module<Tensor, Tensor> HandWritten) Pair(string kind, ScalarType dtype)
    {
        nn.Module<Tensor, Tensor> generated = kind == "dense" ? new SimpleNetBN() : new ConvNetBN();
        nn.Module<Tensor, Tensor> handWritten = kind == "dense" ? HandWrittenSimpleNet() : HandWrittenConvNet();
        generated.to(dtype);
        handWritten.to(dtype);
        var (missing, unexpected) = handWritten.load_state_dict(generated.state_dict());
        Assert.Empty(missing);
        Assert.Empty(unexpected);
        return (generated, handWritten);
    }

    [Fact]
    public void Modules_are_registered_in_forward_order_under_their_field_names()
    {
        using var net = new SimpleNetBN();
        Assert.Equal(
            new[] { "flatten", "fc1", "fc1_bn", "relu1", "fc2", "fc2_bn", "relu2", "fc3" },
            net.named_children().Select(c => c.name));
        Assert.Equal(
            new[]
            {
                "fc1.weight", "fc1.bias", "fc1_bn.weight", "fc1_bn.bias", "fc1_bn.running_mean", "fc1_bn.running_var", "fc1_bn.num_batches_tracked",
                "fc2.weight", "fc2.bias", "fc2_bn.weight", "fc2_bn.bias", "fc2_bn.running_mean", "fc2_bn.running_var", "fc2_bn.num_batches_tracked",
                "fc3.weight", "fc3.bias",
            }.OrderBy(k => k, StringComparer.Ordinal),
            net.state_dict().Keys.OrderBy(k => k, StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Training_matches_the_hand_written_network_bit_for_bit(string kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var (generated, handWritten) = Pair(kind, dtype);
        var generator = new torch.Generator(42);
        LockstepTraining.AssertIdentical(generated, handWritten, steps: 4,
            _ => (randn(new long[] { 16, 1, 28, 28 }, dtype: dtype, generator: generator), randint(0, 10, new long[] { 16 }, generator: generator)),
            (output, labels) => nn.functional.cross_entropy(output, labels),
            learningRate: 0.05, momentum: 0.9);

        generated.eval();
        handWritten.eval();
        var probe = randn(new long[] { 5, 1, 28, 28 }, dtype: dtype, generator: generator);
        TensorAssert.Identical(handWritten.forward(probe), generated.forward(probe), "eval output");
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void FuseBatchNorm_keeps_eval_outputs_and_forbids_training(string kind, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var (generated, _) = Pair(kind, dtype);
        var generator = new torch.Generator(7);
        generated.train();
        using (no_grad())
        {
            for (int i = 0; i < 5; i++)
                generated.forward(randn(new long[] { 32, 1, 28, 28 }, dtype: dtype, generator: generator) * 2 + 0.5);
        }

        generated.eval();
        var probe = randn(new long[] { 8, 1, 28, 28 }, dtype: dtype, generator: generator);
        var before = generated.forward(probe).detach();

        Fuse(generated);
        var after = generated.forward(probe);

        // Folding reassociates products: float32 agrees to a few ulps of the activations' scale.
        double tolerance = dtype == ScalarType.Float32 ? 1e-4 : 1e-10;
        TensorAssert.Close(before, after, tolerance, tolerance, "eval output after FuseBatchNorm");
        var error = Assert.Throws<InvalidOperationException>(() => generated.train());
        Assert.Contains("FuseBatchNorm", error.Message);
        Fuse(generated); // a second call is a no-op
        TensorAssert.Close(before, generated.forward(probe), tolerance, tolerance, "after a second FuseBatchNorm");
    }

    [Fact]
    public void FuseBatchNorm_in_training_mode_is_refused_and_changes_nothing()
    {
        using var net = new SimpleNetBN();
        net.train();
        var before = net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());

        var error = Assert.Throws<InvalidOperationException>(() => net.FuseBatchNorm());

        Assert.Contains("eval()", error.Message);
        foreach (var (name, value) in net.state_dict())
            TensorAssert.Identical(before[name], value, name);
    }

    [Fact]
    public void Save_and_load_round_trip()
    {
        using var scope = NewDisposeScope();
        using var net = new ConvNetBN();
        net.train();
        net.forward(randn(4, 1, 28, 28));
        string path = Path.GetTempFileName();
        try
        {
            net.save(path);
            using var loaded = new ConvNetBN();
            loaded.load(path);

            var state = loaded.state_dict();
            foreach (var (name, value) in net.state_dict())
                TensorAssert.Identical(value, state[name], name);
            net.eval();
            loaded.eval();
            var probe = randn(2, 1, 28, 28);
            TensorAssert.Identical(net.forward(probe), loaded.forward(probe), "eval output");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Conv1d_options_skips_and_a_forced_output_site_behave()
    {
        using var scope = NewDisposeScope();
        using var net = new SequenceNetBN();
        Assert.DoesNotContain("skipped_bn.running_mean", net.state_dict().Keys);
        Assert.DoesNotContain("head_bn.weight", net.state_dict().Keys);
        net.train();
        var generator = new torch.Generator(3);
        for (int i = 0; i < 3; i++)
        {
            var x = randn(new long[] { 6, 4, 10 }, generator: generator);
            net.forward(x);
        }

        var conv = net.named_modules().Single(m => m.name == "conv_bn").module as BatchNormSite;
        var head = net.named_modules().Single(m => m.name == "head_bn").module as BatchNormSite;
        Assert.Equal(0.2, conv!.Momentum);
        Assert.Equal(1e-3, conv.Epsilon);
        Assert.True(head!.CumulativeAverage);
        Assert.False(head.Affine);
        Assert.Equal(3, head.NumBatchesTracked!.item<long>());

        net.eval();
        var probe = randn(2, 4, 10);
        var before = net.forward(probe).detach();
        net.FuseBatchNorm();
        TensorAssert.Close(before, net.forward(probe), 1e-4, 1e-4, "after FuseBatchNorm");
    }

    [Fact]
    public void A_user_constructor_with_sizes_works()
    {
        using var scope = NewDisposeScope();
        using var net = new WideNetBN(channels: 5, classes: 3);
        net.train();
        var y = net.forward(randn(new long[] { 4, 2, 3, 3, 3 }));
        Assert.Equal(new long[] { 4, 3 }, y.shape);
        Assert.Contains("conv_bn.running_var", net.state_dict().Keys);
        Assert.Equal(5, ((BatchNormSite)net.named_modules().Single(m => m.name == "conv_bn").module).NumFeatures);
    }

    [Fact]
    public void A_batch_of_one_in_training_names_the_site()
    {
        using var scope = NewDisposeScope();
        using var net = new SimpleNetBN();
        net.train();
        var error = Assert.Throws<ArgumentException>(() => net.forward(randn(1, 1, 28, 28)));
        Assert.Contains("'fc1_bn'", error.Message);
    }

    private static void Fuse(nn.Module<Tensor, Tensor> network)
    {
        switch (network)
        {
            case SimpleNetBN simple:
                simple.FuseBatchNorm();
                break;
            case ConvNetBN conv:
                conv.FuseBatchNorm();
                break;
            default:
                throw new ArgumentException(network.GetType().Name);
        }
    }
}
