using BnGen;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Generator.Tests.Networks;

/// <summary>Convolutions, pooling, flatten and a dense head: conv and dense sites in one network.</summary>
[BatchNormalized]
public sealed partial class ConvNetBN : BatchNormalizedModule
{
    private readonly Conv2d conv1 = Conv2d(1, 8, 3, padding: 1);
    private readonly ReLU relu1 = ReLU();
    private readonly MaxPool2d pool1 = MaxPool2d(2);
    private readonly Conv2d conv2 = Conv2d(8, 16, 3, padding: 1);
    private readonly ReLU relu2 = ReLU();
    private readonly MaxPool2d pool2 = MaxPool2d(2);
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc1 = Linear(16 * 7 * 7, 32);
    private readonly ReLU relu3 = ReLU();
    private readonly Linear fc2 = Linear(32, 10);
}

/// <summary>Conv1d and Conv3d sites, a site forced on the output layer, options and a skipped layer.</summary>
[BatchNormalized(Momentum = 0.2, Epsilon = 1e-3)]
public sealed partial class SequenceNetBN : Module<Tensor, Tensor>
{
    private readonly Conv1d conv = Conv1d(4, 6, 3, bias: false);
    private readonly Tanh tanh = Tanh();
    [NoBatchNorm]
    private readonly Conv1d skipped = Conv1d(6, 6, 1);
    private readonly Flatten flatten = Flatten();
    [BatchNorm(CumulativeAverage = true, Affine = false)]
    private readonly Linear head = Linear(6 * 8, 5);
}

/// <summary>Sizes from constructor arguments: the user's constructor calls InitializeBatchNorm().</summary>
[BatchNormalized]
public sealed partial class WideNetBN : Module<Tensor, Tensor>
{
    private readonly Conv3d conv;
    private readonly ReLU relu = ReLU();
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc;

    public WideNetBN(long channels, long classes)
        : base(nameof(WideNetBN))
    {
        conv = Conv3d(2, channels, 2);
        fc = Linear(channels * 2 * 2 * 2, classes);
        InitializeBatchNorm();
    }
}

/// <summary>Mixed precision from the attribute: every site keeps float32 except one that opts out.</summary>
[BatchNormalized(KeepFloat32 = true)]
public sealed partial class MixedPrecisionNetBN : BatchNormalizedModule
{
    private readonly Conv2d conv = Conv2d(1, 4, 3, padding: 1);
    private readonly ReLU relu1 = ReLU();
    private readonly Flatten flatten = Flatten();
    [BatchNorm(KeepFloat32 = false)]
    private readonly Linear fc1 = Linear(4 * 8 * 8, 16);
    private readonly ReLU relu2 = ReLU();
    private readonly Linear fc2 = Linear(16, 3);
}
