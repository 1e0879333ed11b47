using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.TestSupport.Article;

/// <summary>
/// The article's SimpleNetBN as src/Sample.Mnist/Models defines it (same layers, names and shapes, so the same
/// state_dict keys): PyTorch's fixtures were written for it, and the MPI jobs and benchmarks train it. A copy, so that
/// tests need not reference the sample.
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
}

/// <summary>The sample's ConvNetBN (conv sites after conv1 and conv2, a dense site after fc1), copied as <see cref="SimpleNetBN"/> is.</summary>
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
}
