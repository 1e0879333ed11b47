using BnGen;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Generator.Tests.Networks;

/// <summary>
/// MobileNetV2's inverted residual as docs/generator.md's porting recipe writes it: every BatchNorm2d a hand-placed
/// <see cref="BatchNormSite"/> inside a Sequential, its own forward (the skip connection), no site generated. The
/// attribute still gives it FuseBatchNorm(), the training guard and the checkpoint rule, so it is no BNG0004
/// (this project builds with warnings as errors).
/// </summary>
[BatchNormalized]
public sealed partial class InvertedResidual : Module<Tensor, Tensor>
{
    private readonly Sequential conv;

    public InvertedResidual(long channels, long expansion)
        : base(nameof(InvertedResidual))
    {
        long hidden = channels * expansion;
        conv = Sequential(
            Conv2d(channels, hidden, 1, bias: false), new BatchNormSite("1", hidden), ReLU6(),
            Conv2d(hidden, hidden, 3, padding: 1, groups: hidden, bias: false), new BatchNormSite("4", hidden), ReLU6(),
            Conv2d(hidden, channels, 1, bias: false), new BatchNormSite("7", channels));
        InitializeBatchNorm();
    }

    public override Tensor forward(Tensor input) => conv.call(input).add_(input);
}

/// <summary>A MobileNetV2-style network whose only sites are hand-placed in its Sequential stages.</summary>
[BatchNormalized]
public sealed partial class MobileStyleNet : BatchNormalizedModule
{
    private readonly Sequential features = Sequential(
        Conv2d(3, 8, 3, stride: 2, padding: 1, bias: false), new BatchNormSite("1", 8), ReLU6(),
        new InvertedResidual(8, 2),
        new InvertedResidual(8, 3));
    private readonly AdaptiveAvgPool2d pool = AdaptiveAvgPool2d(new long[] { 1, 1 });
    private readonly Flatten flatten = Flatten();
    private readonly Linear classifier = Linear(8, 10);
}
