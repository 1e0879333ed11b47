using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Sample.Mnist.Models;

/// <summary>A small conv network without batch norm: two Conv2d + pooling, then two Linear layers.</summary>
public sealed class ConvNet : Module<Tensor, Tensor>
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

    public ConvNet()
        : base(nameof(ConvNet))
    {
        RegisterComponents();
    }

    /// <summary>The activation of the first hidden layer: its input is the pre-activation (conv1's output).</summary>
    public Module<Tensor, Tensor> FirstHiddenActivation => relu1;

    public override Tensor forward(Tensor input)
    {
        var x = pool1.call(relu1.call(conv1.call(input)));
        x = pool2.call(relu2.call(conv2.call(x)));
        x = relu3.call(fc1.call(flatten.call(x)));
        return fc2.call(x);
    }
}
