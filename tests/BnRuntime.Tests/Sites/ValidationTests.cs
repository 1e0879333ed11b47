using System;
using static TorchSharp.torch;

namespace BnGen.Tests.Sites;

/// <summary>Bad input is refused before any work, with the site and both shapes named, and nothing changes.</summary>
public sealed class ValidationTests
{
    /// <summary>A site fixed to <paramref name="kind"/> (any rank when null) that has trained on one batch.</summary>
    private static BatchNormSite TrainedSite(BatchNormInputKind? kind = null)
    {
        var site = new BatchNormSite("fc1_bn", 4, input: kind);
        site.train();
        var shape = new long[(int)(kind ?? BatchNormInputKind.Dense)];
        Array.Fill(shape, 3L);
        shape[0] = 8;
        shape[1] = 4;
        using (NewDisposeScope())
            site.call(randn(shape, generator: new Generator(1)));
        return site;
    }

    private static void AssertStateUnchanged(BatchNormSite site, Tensor mean, Tensor variance, long batches)
    {
        TensorAssert.Identical(mean, site.RunningMean!, "running_mean");
        TensorAssert.Identical(variance, site.RunningVar!, "running_var");
        Assert.Equal(batches, site.NumBatchesTracked!.item<long>());
    }

    [Theory]
    [InlineData(BatchNormInputKind.Dense, new long[] { 8, 4, 3 }, "[N, 4]", "a 3-d input [8, 4, 3]")]
    [InlineData(BatchNormInputKind.Dense, new long[] { 8, 5 }, "[N, 4]", "a 2-d input [8, 5]")]
    [InlineData(BatchNormInputKind.Conv1d, new long[] { 8, 4 }, "[N, 4, L]", "a 2-d input [8, 4]")]
    [InlineData(BatchNormInputKind.Conv2d, new long[] { 8, 3, 5, 5 }, "[N, 4, H, W]", "a 4-d input [8, 3, 5, 5]")]
    [InlineData(BatchNormInputKind.Conv3d, new long[] { 8, 4, 5, 5 }, "[N, 4, D, H, W]", "a 4-d input [8, 4, 5, 5]")]
    public void Wrong_rank_or_channels_names_the_site_and_both_shapes(BatchNormInputKind kind, long[] shape, string expected, string actual)
    {
        using var scope = NewDisposeScope();
        using var site = TrainedSite(kind);
        var mean = site.RunningMean!.clone();
        var variance = site.RunningVar!.clone();

        var error = Assert.Throws<ArgumentException>(() => site.call(randn(shape)));

        Assert.Contains("'fc1_bn'", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Contains(actual, error.Message);
        AssertStateUnchanged(site, mean, variance, 1);
    }

    [Theory]
    [InlineData(new long[] { 1, 4 })]
    [InlineData(new long[] { 1, 4, 1 })]
    [InlineData(new long[] { 1, 4, 1, 1 })]
    [InlineData(new long[] { 1, 4, 1, 1, 1 })]
    public void One_value_per_channel_in_training_is_refused_and_nothing_is_updated(long[] shape)
    {
        using var scope = NewDisposeScope();
        using var site = TrainedSite();
        var mean = site.RunningMean!.clone();
        var variance = site.RunningVar!.clone();

        var error = Assert.Throws<ArgumentException>(() => site.forward(randn(shape)));

        Assert.Contains("expected more than 1 value per channel when training", error.Message);
        Assert.Contains("'fc1_bn'", error.Message);
        AssertStateUnchanged(site, mean, variance, 1);
    }

    [Fact]
    public void One_sample_with_spatial_extent_trains_and_one_sample_in_eval_is_fine()
    {
        using var scope = NewDisposeScope();
        using var site = new BatchNormSite("conv1_bn", 4);
        site.train();
        site.call(randn(1, 4, 3, 3));
        site.eval();
        var y = site.call(randn(1, 4));
        Assert.Equal(new long[] { 1, 4 }, y.shape);
    }

    [Fact]
    public void Forward_refuses_ranks_outside_2_to_5_with_all_accepted_shapes_named()
    {
        using var site = new BatchNormSite("bn", 3);
        var error = Assert.Throws<ArgumentException>(() => site.forward(randn(3)));
        Assert.Contains("[N, 3], [N, 3, L], [N, 3, H, W] or [N, 3, D, H, W]", error.Message);
        Assert.Contains("a 1-d input [3]", error.Message);
    }

    [Theory]
    [InlineData(0.0, 1e-5)]
    [InlineData(1.5, 1e-5)]
    [InlineData(double.NaN, 1e-5)]
    [InlineData(0.1, 0.0)]
    [InlineData(0.1, -1e-3)]
    public void Invalid_options_are_refused_with_the_site_named(double momentum, double eps)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchNormSite("fc2_bn", 3, momentum, eps));
        Assert.Contains("'fc2_bn'", error.Message);
    }

    [Fact]
    public void A_site_made_after_a_missing_layer_is_refused_naming_the_site()
    {
        var error = Assert.Throws<ArgumentNullException>(() => BatchNormSite.After((TorchSharp.Modules.Linear)null!, "fc1_bn"));
        Assert.Contains("'fc1_bn'", error.Message);
    }

    [Fact]
    public void A_site_made_after_a_Conv2d_refuses_dense_input_naming_both_shapes()
    {
        using var scope = NewDisposeScope();
        using var conv = TorchSharp.torch.nn.Conv2d(3, 4, 3);
        using var site = BatchNormSite.After(conv, "bn1");

        var error = Assert.Throws<ArgumentException>(() => site.call(randn(8, 4)));

        Assert.Contains("'bn1'", error.Message);
        Assert.Contains("[N, 4, H, W]", error.Message);
        Assert.Contains("a 2-d input [8, 4]", error.Message);
        Assert.Equal(0, site.NumBatchesTracked!.item<long>());
    }
}
