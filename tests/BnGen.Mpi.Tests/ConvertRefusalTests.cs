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

    [Fact]
    public void A_network_off_the_CPU_is_refused_by_name_before_anything_communicates()
    {
        // No CUDA here: libtorch's meta device (shapes without storage) stands in for any device that is not the CPU.
        using var network = new SimpleNetBN();
        network.to(DeviceType.META);

        var convert = Assert.Throws<NotSupportedException>(() => SyncBatchNorm.SitesOf(network));
        Assert.Contains("SyncBatchNorm.Convert: 'fc1.weight' is on meta", convert.Message);
        Assert.Contains("CPU tensors only", convert.Message);
        // DataParallel refuses before it needs the MPI world, so no MPI job is needed to see it.
        var parallel = Assert.Throws<NotSupportedException>(() => new DataParallel(network, null!));
        Assert.Contains("DataParallel: 'fc1.weight' is on meta", parallel.Message);
    }
}
