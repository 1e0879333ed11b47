using BnGen;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace BnGen.TestSupport.ResNet;

/// <summary>
/// TorchVision's BasicBlock with BnGen: its own forward (the skip connection), sites named bn1 and bn2 as
/// TorchVision names its BatchNorm2d modules, and the downsample Sequential(conv, site) whose keys are
/// downsample.0.* and downsample.1.*. Everything else (sites, registration, FuseBatchNorm, the train guard) is generated.
/// </summary>
[BatchNormalized]
public sealed partial class BasicBlock : Module<Tensor, Tensor>
{
    [BatchNorm(Name = "bn1")]
    private readonly Conv2d conv1;
    private readonly ReLU relu1 = ReLU(inplace: true);
    [BatchNorm(Name = "bn2")]
    private readonly Conv2d conv2;
    private readonly Sequential? downsample;

    public BasicBlock(long inPlanes, long planes, long stride)
        : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inPlanes, planes, 3, stride: stride, padding: 1, bias: false);
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
        if (stride != 1 || inPlanes != planes)
            downsample = Sequential(Conv2d(inPlanes, planes, 1, stride: stride, bias: false), new BatchNormSite("1", planes));
        InitializeBatchNorm();
    }

    public override Tensor forward(Tensor input)
    {
        var identity = input;
        var x = relu1.call(bn1.call(conv1.call(input)));
        x = bn2.call(conv2.call(x));
        if (downsample is not null)
            identity = downsample.call(input);
        return x.add_(identity).relu_();
    }
}

/// <summary>ResNet-18 in TorchVision's layout: a generated straight chain whose stages are Sequentials of blocks.</summary>
[BatchNormalized]
public sealed partial class ResNet18BN : BatchNormalizedModule
{
    [BatchNorm(Name = "bn1")]
    private readonly Conv2d conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
    private readonly ReLU relu = ReLU(inplace: true);
    private readonly MaxPool2d maxpool = MaxPool2d(3, stride: 2, padding: 1);
    private readonly Sequential layer1 = Stage(64, 64, 1);
    private readonly Sequential layer2 = Stage(64, 128, 2);
    private readonly Sequential layer3 = Stage(128, 256, 2);
    private readonly Sequential layer4 = Stage(256, 512, 2);
    private readonly AdaptiveAvgPool2d avgpool = AdaptiveAvgPool2d(new long[] { 1, 1 });
    private readonly Flatten flatten = Flatten();
    private readonly Linear fc = Linear(512, 1000);

    private static Sequential Stage(long inPlanes, long planes, long stride) =>
        Sequential(new BasicBlock(inPlanes, planes, stride), new BasicBlock(planes, planes, 1));
}
