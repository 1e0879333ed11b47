namespace BnGen.Generator.Tests.Robustness;

/// <summary>
/// Networks as users write them, to be mutated by <see cref="IdentifierFuzzTests"/>: the tutorial LeNet, a VGG
/// block, a residual block (its own forward), a DCGAN generator, the sample's two networks, a network with its
/// own constructor, and a nested one. Each file is complete C#; identifiers are plain words the fuzzer renames.
/// </summary>
internal static class RealisticNetworks
{
    public const string Usings = "using BnGen; using TorchSharp; using TorchSharp.Modules; using static TorchSharp.torch; using static TorchSharp.torch.nn;\n";

    public static readonly string[] All =
    {
        """
        namespace Tutorials.Vision;
        [BatchNormalized]
        public sealed partial class LeNet : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1 = Conv2d(1, 6, 5, bias: false);
            private readonly ReLU relu1 = ReLU();
            private readonly MaxPool2d pool1 = MaxPool2d(2);
            private readonly Conv2d conv2 = Conv2d(6, 16, 5, bias: false);
            private readonly ReLU relu2 = ReLU();
            private readonly MaxPool2d pool2 = MaxPool2d(2);
            private readonly Flatten flatten = Flatten();
            private readonly Linear fc1 = Linear(16 * 4 * 4, 120, hasBias: false);
            private readonly ReLU relu3 = ReLU();
            private readonly Linear fc2 = Linear(120, 84, hasBias: false);
            private readonly ReLU relu4 = ReLU();
            private readonly Linear fc3 = Linear(84, 10);
        }
        """,
        """
        namespace Models;
        [BatchNormalized(Momentum = 0.1, Epsilon = 1e-5)]
        internal partial class VggBlock : Module<Tensor, Tensor>
        {
            private const int Width = 64;
            private readonly Conv2d conv1 = Conv2d(3, Width, 3, padding: 1, bias: false);
            private readonly ReLU act1 = ReLU(inplace: true);
            private readonly Conv2d conv2 = Conv2d(Width, Width, 3, padding: 1, bias: false);
            private readonly ReLU act2 = ReLU(inplace: true);
            [BatchNorm]
            private readonly Conv2d conv3 = Conv2d(Width, Width, 3, padding: 1, bias: false);
            private readonly MaxPool2d pool = MaxPool2d(2);
        }
        """,
        """
        namespace Models.ResNet;
        [BatchNormalized]
        public partial class BasicBlock : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1;
            private readonly ReLU relu = ReLU();
            [BatchNorm(Name = "bn2")]
            private readonly Conv2d conv2;
            public BasicBlock(long planes) : base(nameof(BasicBlock))
            {
                conv1 = Conv2d(planes, planes, 3, padding: 1, bias: false);
                conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
                InitializeBatchNorm();
            }
            public override Tensor forward(Tensor input)
            {
                var identity = input;
                var output = relu.call(conv1_bn.call(conv1.call(input)));
                output = bn2.call(conv2.call(output));
                return relu.call(output + identity);
            }
        }
        """,
        """
        namespace Gan;
        [BatchNormalized]
        public partial class DcganGenerator : Module<Tensor, Tensor>
        {
            private readonly Linear project = Linear(100, 128 * 7 * 7, hasBias: false);
            private readonly ReLU relu1 = ReLU();
            private readonly Unflatten reshape = Unflatten(1, new long[] { 128, 7, 7 });
            private readonly ConvTranspose2d up1 = ConvTranspose2d(128, 64, 4, stride: 2, padding: 1, bias: false);
            private readonly ReLU relu2 = ReLU();
            private readonly ConvTranspose2d up2 = ConvTranspose2d(64, 1, 4, stride: 2, padding: 1);
            private readonly Tanh tanh = Tanh();
        }
        """,
        """
        namespace Sample;
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
        [BatchNormalized]
        public sealed partial class ConvNetBN : Module<Tensor, Tensor>
        {
            private readonly Conv2d conv1 = Conv2d(1, 8, 3, padding: 1);
            private readonly ReLU relu1 = ReLU();
            private readonly MaxPool2d pool1 = MaxPool2d(2);
            private readonly Conv2d conv2 = Conv2d(8, 16, 3, padding: 1);
            private readonly ReLU relu2 = ReLU();
            private readonly MaxPool2d pool2 = MaxPool2d(2);
            private readonly Flatten flatten = Flatten();
            private readonly Linear fc1 = Linear(16 * 7 * 7, 32);
            private readonly ReLU relu3 = ReLU();
            private readonly Linear fc2 = Linear(32, 10);
        }
        """,
        """
        namespace Sized;
        [BatchNormalized(CumulativeAverage = true)]
        public sealed partial class SizedNet : Module<Tensor, Tensor>
        {
            private readonly Linear hidden;
            private readonly Dropout drop = Dropout(0.1);
            private readonly Linear output;
            public SizedNet(long inputs, long width, long classes) : base(nameof(SizedNet))
            {
                hidden = Linear(inputs, width, hasBias: false);
                output = Linear(width, classes);
                InitializeBatchNorm();
            }
            public SizedNet() : this(4, 8, 2) { }
        }
        """,
        """
        namespace Audio
        {
            public static partial class Models
            {
                [BatchNormalized(Affine = false)]
                public partial class SpeechNet : Module<Tensor, Tensor>
                {
                    private readonly Conv1d conv1 = Conv1d(40, 64, 5, bias: false);
                    private readonly GELU gelu = GELU();
                    [NoBatchNorm]
                    private readonly Conv1d conv2 = Conv1d(64, 64, 1);
                    private readonly AdaptiveAvgPool1d pool = AdaptiveAvgPool1d(1);
                    private readonly Flatten flatten = Flatten();
                    private readonly Linear head = Linear(64, 12);
                }
            }
        }
        """,
    };
}
