using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Sample.Mnist.Models;

/// <summary>
/// The same layers with batch normalization: BnGen writes the constructor and forward, with a site after
/// fc1 and fc2 (not after fc3, the output layer), as in the article.
/// </summary>
[BatchNormalized]
public sealed partial class SimpleNetBN : BatchNormalizedModule
{
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc1 = Linear(28 * 28, 64);
    private readonly ReLU relu1 = ReLU();
    private readonly Linear fc2 = Linear(64, 128);
    private readonly ReLU relu2 = ReLU();
    private readonly Linear fc3 = Linear(128, 10);

    /// <summary>The activation of the first hidden layer: its input is the pre-activation (fc1_bn's output).</summary>
    public Module<Tensor, Tensor> FirstHiddenActivation => relu1;
}
