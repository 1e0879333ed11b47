using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Sample.Mnist.Models;

/// <summary>
/// Ioffe &amp; Szegedy (2015), section 4.1: three fully-connected hidden layers of 100 sigmoid units, written by
/// hand without batch normalization.
/// </summary>
public sealed class PaperNet : Module<Tensor, Tensor>
{
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc1 = Linear(28 * 28, 100);
    private readonly Sigmoid sigmoid1 = Sigmoid();
    private readonly Linear fc2 = Linear(100, 100);
    private readonly Sigmoid sigmoid2 = Sigmoid();
    private readonly Linear fc3 = Linear(100, 100);
    private readonly Sigmoid sigmoid3 = Sigmoid();
    private readonly Linear fc4 = Linear(100, 10);

    public PaperNet()
        : base(nameof(PaperNet))
    {
        RegisterComponents();
    }

    /// <summary>The first hidden layer's sigmoid: its input is fc1's output.</summary>
    public Module<Tensor, Tensor> FirstHiddenActivation => sigmoid1;

    /// <summary>The last hidden layer's sigmoid, whose input distribution the paper's Figure 1(b, c) follows.</summary>
    public Module<Tensor, Tensor> LastHiddenActivation => sigmoid3;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = flatten.call(input);
        x = sigmoid1.call(fc1.call(x));
        x = sigmoid2.call(fc2.call(x));
        x = sigmoid3.call(fc3.call(x));
        return fc4.call(x).MoveToOuterDisposeScope();
    }
}
