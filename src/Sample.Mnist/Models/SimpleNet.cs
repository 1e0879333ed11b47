using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Sample.Mnist.Models;

/// <summary>The article's baseline: 784-64-128-10 with ReLU, written by hand in plain TorchSharp.</summary>
public sealed class SimpleNet : Module<Tensor, Tensor>
{
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc1 = Linear(28 * 28, 64);
    private readonly ReLU relu1 = ReLU();
    private readonly Linear fc2 = Linear(64, 128);
    private readonly ReLU relu2 = ReLU();
    private readonly Linear fc3 = Linear(128, 10);

    public SimpleNet()
        : base(nameof(SimpleNet))
    {
        RegisterComponents();
    }

    /// <summary>The activation of the first hidden layer: its input is the pre-activation (fc1's output).</summary>
    public Module<Tensor, Tensor> FirstHiddenActivation => relu1;

    public override Tensor forward(Tensor input)
    {
        var x = flatten.call(input);
        x = relu1.call(fc1.call(x));
        x = relu2.call(fc2.call(x));
        return fc3.call(x);
    }
}
