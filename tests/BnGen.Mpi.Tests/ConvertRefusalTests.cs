using System;
using System.Linq;
using BnGen.TestSupport.Article;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Mpi.Tests;

/// <summary>
/// What SyncBatchNorm.Convert finds and refuses before it communicates (no MPI needed: the search runs first, and a
/// refusal leaves every site as it was).
/// </summary>
public sealed class ConvertRefusalTests
{
    [Fact]
    public void Sites_are_found_by_path_in_generated_and_composed_networks()
    {
        using var generated = new SimpleNetBN();
        Assert.Equal(["fc1_bn", "fc2_bn"], SyncBatchNorm.SitesOf(generated).Select(s => s.Path));

        using var composed = nn.Sequential(("stem", new SimpleNetBN()), ("head", nn.Sequential(nn.Linear(10, 4), new BatchNormSite("1", 4))));
        Assert.Equal(["stem.fc1_bn", "stem.fc2_bn", "head.1"], SyncBatchNorm.SitesOf(composed).Select(s => s.Path));
    }

    [Fact]
    public void TorchSharps_own_BatchNorm_is_refused_naming_its_path()
    {
        var body = new SimpleNetBN();
        using var network = nn.Sequential(("body", body), ("head", nn.Sequential(nn.Linear(10, 4), nn.BatchNorm1d(4))));

        var error = Assert.Throws<NotSupportedException>(() => SyncBatchNorm.SitesOf(network));
        Assert.Contains("'head.1' is TorchSharp's BatchNorm1d", error.Message);
        Assert.All(SyncBatchNorm.SitesOf(body), s => Assert.Null(s.Site.StatisticsReducer));
    }

    [Fact]
    public void A_fused_network_is_refused()
    {
        using var network = new SimpleNetBN();
        network.eval();
        network.FuseBatchNorm();

        var error = Assert.Throws<InvalidOperationException>(() => SyncBatchNorm.SitesOf(network));
        Assert.Contains("'fc1_bn' is folded", error.Message);
    }
}
