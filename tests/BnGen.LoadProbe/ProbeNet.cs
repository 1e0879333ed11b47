using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.LoadProbe;

/// <summary>The article's SimpleNetBN, written here so the probe depends on nothing but the packages under test.</summary>
[BatchNormalized]
public sealed partial class ProbeNet : BatchNormalizedModule
{
    private readonly Flatten flatten = nn.Flatten();
    private readonly Linear fc1 = nn.Linear(28 * 28, 64);
    private readonly ReLU relu1 = nn.ReLU();
    private readonly Linear fc2 = nn.Linear(64, 128);
    private readonly ReLU relu2 = nn.ReLU();
    [NoBatchNorm]
    private readonly Linear fc3 = nn.Linear(128, 10);

    public ProbeNet()
        : base(nameof(ProbeNet))
    {
        InitializeBatchNorm();
        RegisterComponents();
    }
}
