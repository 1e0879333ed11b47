using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Sample.Mnist.Models;

/// <summary>The conv network with batch normalization after conv1, conv2 (conv sites) and fc1 (a dense site).</summary>
[BatchNormalized]
public sealed partial class ConvNetBN : BatchNormalizedModule
{
    private readonly Conv2d conv1 = Conv2d(1, 16, 3, padding: 1);
    private readonly ReLU relu1 = ReLU();
    private readonly MaxPool2d pool1 = MaxPool2d(2);
    private readonly Conv2d conv2 = Conv2d(16, 32, 3, padding: 1);
    private readonly ReLU relu2 = ReLU();
    private readonly MaxPool2d pool2 = MaxPool2d(2);
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc1 = Linear(32 * 7 * 7, 128);
    private readonly ReLU relu3 = ReLU();
    private readonly Linear fc2 = Linear(128, 10);

    /// <summary>The activation of the first hidden layer: its input is the pre-activation (conv1_bn's output).</summary>
    public Module<Tensor, Tensor> FirstHiddenActivation => relu1;
}
