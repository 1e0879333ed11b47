using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Tests.Sites;

/// <summary>Parameters and buffers under PyTorch's names, initialization, reset, save/load and dtype moves.</summary>
public sealed class StateTests
{
    [Fact]
    public void State_dict_uses_pytorch_names_and_initial_values()
    {
        using var site = new BatchNormSite("bn", 3);
        var state = site.state_dict();

        Assert.Equal(new[] { "bias", "num_batches_tracked", "running_mean", "running_var", "weight" }, state.Keys.OrderBy(k => k, System.StringComparer.Ordinal));
        Assert.Equal(new[] { "bias", "weight" }, site.named_parameters().Select(p => p.name).OrderBy(k => k, System.StringComparer.Ordinal));
        TensorAssert.Identical(ones(3), state["weight"], "weight");
        TensorAssert.Identical(zeros(3), state["bias"], "bias");
        TensorAssert.Identical(zeros(3), state["running_mean"], "running_mean");
        TensorAssert.Identical(ones(3), state["running_var"], "running_var");
        Assert.Equal(ScalarType.Int64, state["num_batches_tracked"].dtype);
    }

    [Fact]
    public void Switches_off_remove_their_entries()
    {
        using var plain = new BatchNormSite("bn", 3, affine: false, trackRunningStats: false);
        Assert.Empty(plain.state_dict());
        Assert.Null(plain.Weight);
        Assert.Null(plain.RunningMean);
    }

    [Fact]
    public void A_torchsharp_batchnorm_state_dict_loads_one_to_one()
    {
        using var scope = NewDisposeScope();
        using var native = nn.BatchNorm2d(4);
        native.train();
        native.forward(randn(6, 4, 3, 3, generator: new Generator(5)));
        using (no_grad())
        {
            native.weight.copy_(rand(4, generator: new Generator(6)));
            native.bias!.copy_(randn(4, generator: new Generator(7)));
        }

        using var site = new BatchNormSite("bn", 4);
        var (missing, unexpected) = site.load_state_dict(native.state_dict());

        Assert.Empty(missing);
        Assert.Empty(unexpected);
        native.eval();
        site.eval();
        var probe = randn(2, 4, 3, 3, generator: new Generator(8));
        TensorAssert.Identical(native.forward(probe), site.call(probe), "eval output after loading");
    }

    [Fact]
    public void Save_and_load_round_trips_every_parameter_and_buffer()
    {
        using var scope = NewDisposeScope();
        using var site = new BatchNormSite("bn", 5);
        site.train();
        for (int i = 0; i < 3; i++)
            site.call(randn(7, 5, generator: new Generator((ulong)i)));
        string path = Path.GetTempFileName();
        try
        {
            site.save(path);
            using var loaded = new BatchNormSite("bn", 5);
            loaded.load(path);

            foreach (var (key, value) in site.state_dict())
                TensorAssert.Identical(value, loaded.state_dict()[key], key);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Moving_to_float64_converts_floating_state_and_keeps_the_counter_int64()
    {
        using var site = new BatchNormSite("bn", 3);
        site.to(float64);

        Assert.Equal(ScalarType.Float64, site.Weight!.dtype);
        Assert.Equal(ScalarType.Float64, site.RunningVar!.dtype);
        Assert.Equal(ScalarType.Int64, site.NumBatchesTracked!.dtype);
        using var scope = NewDisposeScope();
        site.call(randn(4, 3, dtype: float64));
        Assert.Equal(1, site.NumBatchesTracked!.item<long>());
    }

    [Fact]
    public void Reset_restores_pytorch_initial_values()
    {
        using var scope = NewDisposeScope();
        using var site = new BatchNormSite("bn", 3);
        site.train();
        site.call(randn(4, 3) * 5 + 2);
        using (no_grad())
            site.Weight!.mul_(3);

        site.reset_parameters();

        TensorAssert.Identical(ones(3), site.Weight!, "weight");
        TensorAssert.Identical(zeros(3), site.RunningMean!, "running_mean");
        TensorAssert.Identical(ones(3), site.RunningVar!, "running_var");
        Assert.Equal(0, site.NumBatchesTracked!.item<long>());
    }

    [Fact]
    public void Works_inside_nn_Sequential_like_any_module()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(("fc", nn.Linear(6, 4)), ("fc_bn", new BatchNormSite("fc_bn", 4)), ("relu", nn.ReLU()));
        model.train();
        var y = model.forward(randn(8, 6));

        Assert.Equal(new long[] { 8, 4 }, y.shape);
        Assert.Contains("fc_bn.running_mean", model.state_dict().Keys);
        Assert.Equal(1, ((BatchNormSite)model[1]).NumBatchesTracked!.item<long>());
    }
}
