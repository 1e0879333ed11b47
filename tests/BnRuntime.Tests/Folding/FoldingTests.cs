using System;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Tests.Folding;

/// <summary>A folded layer alone gives what the layer followed by its site gives in eval mode.</summary>
public sealed class FoldingTests
{
    private static BatchNormSite TrainedSite(long channels, Func<Tensor, Tensor> layer, long[] inputShape, ScalarType dtype, Generator generator, bool affine = true)
    {
        var site = new BatchNormSite("bn", channels, affine: affine, dtype: dtype);
        if (affine)
        {
            using var noGrad = no_grad();
            site.Weight!.copy_(rand(channels, dtype: dtype, generator: generator) + 0.5);
            site.Bias!.copy_(randn(channels, dtype: dtype, generator: generator));
        }

        site.train();
        using (no_grad())
        {
            for (int i = 0; i < 4; i++)
                site.forward(layer(randn(inputShape, dtype: dtype, generator: generator) * 3 + 1));
        }

        site.eval();
        return site;
    }

    public static TheoryData<string, bool, ScalarType> Layers()
    {
        var data = new TheoryData<string, bool, ScalarType>();
        foreach (var kind in new[] { "linear", "conv1d", "conv2d", "conv3d" })
            foreach (var bias in new[] { true, false })
                foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
                    data.Add(kind, bias, dtype);
        return data;
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void Folded_layer_matches_layer_then_site_in_eval(string kind, bool hasBias, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(99);
        (nn.Module<Tensor, Tensor> layer, long[] shape, long channels) = kind switch
        {
            "linear" => ((nn.Module<Tensor, Tensor>)nn.Linear(12, 6, hasBias, dtype: dtype), new long[] { 10, 12 }, 6L),
            "conv1d" => (nn.Conv1d(3, 5, 3, bias: hasBias, dtype: dtype), new long[] { 4, 3, 11 }, 5L),
            "conv2d" => (nn.Conv2d(3, 4, 3, padding: 1, bias: hasBias, dtype: dtype), new long[] { 4, 3, 7, 6 }, 4L),
            _ => (nn.Conv3d(2, 3, 2, bias: hasBias, dtype: dtype), new long[] { 3, 2, 4, 5, 3 }, 3L),
        };
        using var site = TrainedSite(channels, layer.forward, shape, dtype, generator);
        var probe = randn(shape, dtype: dtype, generator: generator);
        var expected = site.forward(layer.forward(probe)).detach();

        if (layer is TorchSharp.Modules.Linear linear)
            BatchNormFolding.FoldInto(linear, site);
        else
            BatchNormFolding.FoldInto((TorchSharp.Modules.Convolution)layer, site);
        var actual = layer.forward(probe);

        // The folded product rounds differently from two separate layers: a few ulps of the output's scale.
        double tolerance = dtype == ScalarType.Float32 ? 2e-5 : 1e-12;
        TensorAssert.Close(expected, actual, tolerance, tolerance, $"{kind} (bias: {hasBias}) folded output");
    }

    public static TheoryData<string, bool, ScalarType> TransposedLayers()
    {
        var data = new TheoryData<string, bool, ScalarType>();
        foreach (var kind in new[] { "1d-groups", "2d-square", "2d-groups-dilation", "3d" })
            foreach (var bias in new[] { true, false })
                foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
                    data.Add(kind, bias, dtype);
        return data;
    }

    /// <summary>
    /// Transposed convolutions keep their weight as [in, out/groups, k…]. "2d-square" has in == out and one group, so
    /// scaling dimension 0 as for a plain convolution would run and give wrong outputs; the grouped ones would not run.
    /// </summary>
    [Theory]
    [MemberData(nameof(TransposedLayers))]
    public void Folded_transposed_convolution_matches_layer_then_site_in_eval(string kind, bool hasBias, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        (TorchSharp.Modules.Convolution layer, long[] shape, long channels) = kind switch
        {
            "1d-groups" => ((TorchSharp.Modules.Convolution)nn.ConvTranspose1d(4, 6, 3, stride: 2, output_padding: 1, groups: 2, bias: hasBias, dtype: dtype), new long[] { 3, 4, 9 }, 6L),
            "2d-square" => (nn.ConvTranspose2d(5, 5, 4, stride: 2, padding: 1, bias: hasBias, dtype: dtype), new long[] { 3, 5, 4, 4 }, 5L),
            "2d-groups-dilation" => (nn.ConvTranspose2d(6, 9, 3, stride: 2, padding: 1, output_padding: 1, dilation: 2, groups: 3, bias: hasBias, dtype: dtype), new long[] { 2, 6, 5, 4 }, 9L),
            _ => (nn.ConvTranspose3d(2, 4, 2, stride: 2, bias: hasBias, dtype: dtype), new long[] { 2, 2, 3, 3, 2 }, 4L),
        };
        using var site = TrainedSite(channels, layer.forward, shape, dtype, generator);
        var probe = randn(shape, dtype: dtype, generator: generator);
        var expected = site.forward(layer.forward(probe)).detach();

        BatchNormFolding.FoldInto(layer, site);
        var actual = layer.forward(probe);

        double tolerance = dtype == ScalarType.Float32 ? 2e-5 : 1e-12;
        TensorAssert.Close(expected, actual, tolerance, tolerance, $"ConvTranspose {kind} (bias: {hasBias}) folded output");
    }

    [Fact]
    public void Folding_a_site_without_affine_parameters_works()
    {
        using var scope = NewDisposeScope();
        var linear = nn.Linear(5, 3, dtype: float64);
        using var site = TrainedSite(3, linear.forward, new long[] { 8, 5 }, ScalarType.Float64, new Generator(3), affine: false);
        var probe = randn(4, 5, dtype: float64);
        var expected = site.forward(linear.forward(probe)).detach();

        BatchNormFolding.FoldInto(linear, site);

        TensorAssert.Close(expected, linear.forward(probe), 1e-12, 1e-12, "folded output");
    }

    [Fact]
    public void Folding_in_training_mode_is_refused_and_changes_nothing()
    {
        using var scope = NewDisposeScope();
        var linear = nn.Linear(5, 3);
        var before = linear.weight!.clone();
        using var site = new BatchNormSite("fc1_bn", 3);
        site.train();

        var error = Assert.Throws<InvalidOperationException>(() => BatchNormFolding.FoldInto(linear, site));

        Assert.Contains("'fc1_bn'", error.Message);
        Assert.Contains("eval()", error.Message);
        TensorAssert.Identical(before, linear.weight!, "weight");
    }

    [Fact]
    public void Folding_without_running_statistics_is_refused()
    {
        var linear = nn.Linear(5, 3);
        using var site = new BatchNormSite("fc1_bn", 3, trackRunningStats: false);
        site.eval();

        var error = Assert.Throws<InvalidOperationException>(() => BatchNormFolding.FoldInto(linear, site));
        Assert.Contains("trackRunningStats: false", error.Message);
    }

    [Fact]
    public void Folding_into_a_layer_of_another_width_is_refused()
    {
        var conv = nn.Conv2d(3, 8, 3);
        using var site = new BatchNormSite("conv1_bn", 4);
        site.eval();

        var error = Assert.Throws<ArgumentException>(() => BatchNormFolding.FoldInto(conv, site));
        Assert.Contains("4 channels", error.Message);
        Assert.Contains("8 outputs", error.Message);
    }
}
