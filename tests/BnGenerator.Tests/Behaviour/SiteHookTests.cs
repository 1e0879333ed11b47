using System;
using System.Linq;
using BnGen.Generator.Tests.Networks;
using BnGen.TestSupport.ResNet;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// Sites are modules called through call(), so forward hooks and pre-hooks registered on them run as in PyTorch —
/// in a generated forward, in a forward written by hand, and in a Sequential — once per forward, and not after removal.
/// </summary>
public sealed class SiteHookTests
{
    public static TheoryData<string> Places => new() { "generated forward", "your own forward", "Sequential" };

    private static (nn.Module<Tensor, Tensor> Network, BatchNormSite Site, Func<Tensor> Input) Place(string place) => place switch
    {
        "generated forward" => Pick(new SimpleNetBN(), "fc1_bn", () => randn(4, 1, 28, 28)),
        "your own forward" => Pick(new BasicBlock(4, 4, 1), "bn1", () => randn(2, 4, 6, 6)),
        _ => Pick(nn.Sequential(nn.Linear(3, 5), new BatchNormSite("1", 5)), "1", () => randn(4, 3)),
    };

    private static (nn.Module<Tensor, Tensor>, BatchNormSite, Func<Tensor>) Pick(nn.Module<Tensor, Tensor> network, string site, Func<Tensor> input) =>
        (network, (BatchNormSite)network.named_modules().Single(m => m.name == site).module, input);

    [Theory]
    [MemberData(nameof(Places))]
    public void Hooks_on_a_site_run_once_per_forward_and_stop_when_removed(string place)
    {
        using var scope = NewDisposeScope();
        var (network, site, input) = Place(place);
        int preCalls = 0, postCalls = 0;
        long seenChannels = 0;
        var pre = site.register_forward_pre_hook((module, x) =>
        {
            preCalls++;
            return x;
        });
        var post = site.register_forward_hook((module, x, y) =>
        {
            postCalls++;
            seenChannels = y.size(1);
            return y;
        });

        network.train();
        network.call(input());
        network.eval();
        network.call(input());

        Assert.Equal(2, preCalls);
        Assert.Equal(2, postCalls);
        Assert.Equal(site.NumFeatures, seenChannels);

        pre.remove();
        post.remove();
        network.call(input());
        Assert.Equal(2, preCalls);
        Assert.Equal(2, postCalls);
        network.Dispose();
    }
}
