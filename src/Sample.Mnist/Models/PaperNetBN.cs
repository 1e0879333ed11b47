using BnGen;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Sample.Mnist.Models;

/// <summary>
/// The paper's network with batch normalization before each nonlinearity, as in section 4.1: BnGen puts a site
/// after fc1, fc2 and fc3 (not after fc4, the output layer) and writes the constructor and forward.
/// </summary>
[BatchNormalized]
public sealed partial class PaperNetBN : BatchNormalizedModule
{
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc1 = Linear(28 * 28, 100);
    private readonly Sigmoid sigmoid1 = Sigmoid();
    private readonly Linear fc2 = Linear(100, 100);
    private readonly Sigmoid sigmoid2 = Sigmoid();
    private readonly Linear fc3 = Linear(100, 100);
    private readonly Sigmoid sigmoid3 = Sigmoid();
    private readonly Linear fc4 = Linear(100, 10);

    /// <summary>The first hidden layer's sigmoid: its input is fc1_bn's output.</summary>
    public Module<Tensor, Tensor> FirstHiddenActivation => sigmoid1;

    /// <summary>The last hidden layer's sigmoid: its input is fc3_bn's output.</summary>
    public Module<Tensor, Tensor> LastHiddenActivation => sigmoid3;
}
