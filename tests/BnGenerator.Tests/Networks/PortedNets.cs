using BnGen;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Generator.Tests.Networks;

/// <summary>Layer names a PyTorch port brings along: generated locals, inherited members, C# keywords.</summary>
[BatchNormalized]
public sealed partial class PortedNamesNet : Module<Tensor, Tensor>
{
    private readonly Linear input = Linear(6, 8, hasBias: false);
    private readonly ReLU x = ReLU();
    private readonly Linear @class = Linear(8, 8, hasBias: false);
    private readonly ReLU @event = ReLU();
    private readonly Linear output = Linear(8, 3);
}

/// <summary>A LeNet-shaped conv → dense network with bias-free layers, as TorchVision writes them before BN.</summary>
[BatchNormalized]
public sealed partial class BiasFreeLeNetBN : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1 = Conv2d(1, 4, 5, bias: false);
    private readonly ReLU relu1 = ReLU();
    private readonly MaxPool2d pool1 = MaxPool2d(2);
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc1 = Linear(4 * 4 * 4, 16, hasBias: false);
    private readonly ReLU relu2 = ReLU();
    private readonly Linear fc2 = Linear(16, 10);
}

/// <summary>A constructor that may forget a layer: InitializeBatchNorm() must name it instead of failing later.</summary>
[BatchNormalized]
public sealed partial class ForgetfulNetBN : Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly ReLU relu = ReLU();
    private readonly Linear? fc2;

    public ForgetfulNetBN(bool assignEveryLayer)
        : base(nameof(ForgetfulNetBN))
    {
        fc1 = Linear(4, 8);
        if (assignEveryLayer)
            fc2 = Linear(8, 2);
        InitializeBatchNorm();
    }
}

/// <summary>A DCGAN-style generator: Linear → BN1d → ReLU → reshape → ConvTranspose2d → BN2d → ReLU → ConvTranspose2d → Tanh.</summary>
[BatchNormalized]
public sealed partial class DcganGeneratorBN : Module<Tensor, Tensor>
{
    private readonly Linear project = Linear(16, 32 * 4 * 4, hasBias: false);
    private readonly ReLU relu1 = ReLU();
    private readonly Unflatten reshape = Unflatten(1, new long[] { 32, 4, 4 });
    private readonly ConvTranspose2d up1 = ConvTranspose2d(32, 16, 4, stride: 2, padding: 1, bias: false);
    private readonly ReLU relu2 = ReLU();
    private readonly ConvTranspose2d up2 = ConvTranspose2d(16, 1, 4, stride: 2, padding: 1);
    private readonly Tanh tanh = Tanh();
}
