using System.Linq;
using BnGen.Generator.Tests.Infrastructure;
using BnGen.Generator.Tests.Networks;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// Networks whose sites are all hand-placed in Sequential fields (a MobileNetV2 port): they compile without BNG0004,
/// and FuseBatchNorm() folds every site. Oracle: the same network's eval output before folding (float64, so the
/// only difference is the rounding of the folded weights: 1e-10).
/// </summary>
public sealed class HandPlacedSiteTests
{
    [Fact]
    public void FuseBatchNorm_folds_every_hand_placed_site_and_keeps_eval_outputs()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        using var net = new MobileStyleNet();
        net.to(float64);
        var optimizer = optim.SGD(net.parameters(), 0.05);
        net.train();
        for (int step = 0; step < 3; step++)
        {
            optimizer.zero_grad();
            net.call(randn(6, 3, 16, 16, dtype: float64)).square().mean().backward();
            optimizer.step();
        }

        net.eval();
        var probe = randn(4, 3, 16, 16, dtype: float64);
        var before = net.call(probe).detach();
        var sites = net.modules().OfType<BatchNormSite>().ToList();
        Assert.Equal(7, sites.Count);

        net.FuseBatchNorm();

        Assert.All(sites, s => Assert.True(s.IsFolded, s.SiteName));
        Assert.True(net.IsBatchNormFused);
        Assert.All(net.modules().OfType<InvertedResidual>(), block => Assert.True(block.IsBatchNormFused));
        TensorAssert.Close(before, net.call(probe), 1e-10, 1e-10, "eval output after folding");
        Assert.Throws<System.InvalidOperationException>(() => net.train());
        Assert.False(net.training);
    }

    [Fact]
    public void Only_a_class_with_nothing_that_can_hold_a_site_is_BNG0004()
    {
        const string Usings = "using BnGen; using TorchSharp.Modules; using static TorchSharp.torch; using static TorchSharp.torch.nn;\n";
        var handPlaced = GeneratorHarness.GeneratorDiagnostics(Usings + """
            [BatchNormalized]
            public partial class Stem : Module<Tensor, Tensor>
            {
                private readonly Sequential features = Sequential(Conv2d(3, 8, 3, bias: false), new BatchNormSite("1", 8), ReLU6());
                private readonly Linear classifier = Linear(8, 10);
            }
            """);
        var leavesOnly = GeneratorHarness.GeneratorDiagnostics(Usings + """
            [BatchNormalized]
            public partial class Head : Module<Tensor, Tensor>
            {
                private readonly Flatten flatten = Flatten();
                private readonly Linear classifier = Linear(8, 10);
            }
            """);

        Assert.DoesNotContain(handPlaced, d => d.Id == "BNG0004");
        var warning = Assert.Single(leavesOnly, d => d.Id == "BNG0004");
        Assert.Contains("'Head'", warning.GetMessage());
    }
}
