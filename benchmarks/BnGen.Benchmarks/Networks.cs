using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.Benchmarks;

/// <summary>The article's network with BN, as users declare it.</summary>
[BatchNormalized]
public sealed partial class SimpleNetBN : Module<Tensor, Tensor>
{
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc1 = Linear(28 * 28, 64);
    private readonly ReLU relu1 = ReLU();
    private readonly Linear fc2 = Linear(64, 128);
    private readonly ReLU relu2 = ReLU();
    private readonly Linear fc3 = Linear(128, 10);
}

/// <summary>The conv pair's BN network.</summary>
[BatchNormalized]
public sealed partial class ConvNetBN : Module<Tensor, Tensor>
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
}

/// <summary>The same networks written by hand with nn.Sequential and TorchSharp's BatchNorm (or without BN).</summary>
public static class HandWritten
{
    public static Sequential SimpleNetBN() => Sequential(
        ("flatten", Flatten()),
        ("fc1", Linear(784, 64)), ("fc1_bn", BatchNorm1d(64)), ("relu1", ReLU()),
        ("fc2", Linear(64, 128)), ("fc2_bn", BatchNorm1d(128)), ("relu2", ReLU()),
        ("fc3", Linear(128, 10)));

    public static Sequential SimpleNet() => Sequential(
        ("flatten", Flatten()),
        ("fc1", Linear(784, 64)), ("relu1", ReLU()),
        ("fc2", Linear(64, 128)), ("relu2", ReLU()),
        ("fc3", Linear(128, 10)));

    public static Sequential ConvNetBN() => Sequential(
        ("conv1", Conv2d(1, 16, 3, padding: 1)), ("conv1_bn", BatchNorm2d(16)), ("relu1", ReLU()), ("pool1", MaxPool2d(2)),
        ("conv2", Conv2d(16, 32, 3, padding: 1)), ("conv2_bn", BatchNorm2d(32)), ("relu2", ReLU()), ("pool2", MaxPool2d(2)),
        ("flatten", Flatten()),
        ("fc1", Linear(32 * 7 * 7, 128)), ("fc1_bn", BatchNorm1d(128)), ("relu3", ReLU()),
        ("fc2", Linear(128, 10)));
}
