using System.Linq;
using BnGen.Generator.Tests.Infrastructure;

namespace BnGen.Generator.Tests;

/// <summary>
/// The whole driver on representative networks: the generated text against checked-in snapshots
/// (Snapshots/*.verified.cs), and the user's code plus the generated code compiling without a warning.
/// </summary>
public sealed class SnapshotTests
{
    private const string Usings = """
        using BnGen;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        """;

    private static void Verify(string name, string source)
    {
        var run = GeneratorHarness.Run(Usings + source);
        var (result, output, _) = run;

        GeneratorHarness.AssertNone(run.Diagnostics.Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning));
        GeneratorHarness.AssertNone(GeneratorHarness.CompileErrorsAndWarnings(output));
        var generated = Assert.Single(result.GeneratedSources);
        Snapshot.Match(name, generated.SourceText.ToString());
    }

    [Fact]
    public void Dense() => Verify(nameof(Dense), """
        namespace Demo;

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
        """);

    [Fact]
    public void Conv2dPoolFlattenLinear() => Verify(nameof(Conv2dPoolFlattenLinear), """
        namespace Demo.Vision
        {
            [BatchNormalized]
            internal partial class ConvNetBN : BatchNormalizedModule
            {
                private const int Channels = 16;
                private readonly Conv2d conv1 = Conv2d(1, Channels, 3, padding: 1, bias: false);
                private readonly ReLU relu1 = ReLU();
                private readonly MaxPool2d pool1 = MaxPool2d(2);
                private readonly Dropout2d drop = Dropout2d(0.1);
                private readonly Flatten flatten = Flatten();
                private readonly Linear fc1 = Linear(Channels * 14 * 14, 10);
                public readonly int NotALayer = 3;
                private static readonly ReLU shared = ReLU();
            }
        }
        """);

    [Fact]
    public void EveryOption() => Verify(nameof(EveryOption), """
        [BatchNormalized(Momentum = 0.05, Epsilon = 1e-3, Affine = false, TrackRunningStats = true, CumulativeAverage = false)]
        public partial class OptionsNet : BatchNormalizedModule
        {
            private readonly Conv3d conv = Conv3d(3, 8, 3);
            [BatchNorm(Momentum = 0.5, Affine = true)]
            private readonly Conv3d conv3 = Conv3d(8, 8, 1);
            private readonly Flatten flatten = Flatten();
            [NoBatchNorm]
            private readonly Linear skip = Linear(8, 8);
            [BatchNorm(CumulativeAverage = true, Epsilon = 0.5, Name = "bn_out")]
            private readonly Linear output = Linear(8, 2);
        }
        """);

    [Fact]
    public void TransposedConvolutions() => Verify(nameof(TransposedConvolutions), """
        namespace Gan;

        [BatchNormalized]
        public sealed partial class Generator : BatchNormalizedModule
        {
            private readonly Linear project = Linear(100, 128 * 7 * 7, hasBias: false);
            private readonly ReLU relu1 = ReLU();
            private readonly Unflatten reshape = Unflatten(1, new long[] { 128, 7, 7 });
            private readonly ConvTranspose2d up1 = ConvTranspose2d(128, 64, 4, stride: 2, padding: 1, bias: false);
            private readonly ReLU relu2 = ReLU();
            private readonly ConvTranspose2d up2 = ConvTranspose2d(64, 1, 4, stride: 2, padding: 1);
            private readonly Tanh tanh = Tanh();
        }
        """);

    [Fact]
    public void BlockWithItsOwnForward() => Verify(nameof(BlockWithItsOwnForward), """
        namespace Models;

        [BatchNormalized]
        public sealed partial class BasicBlock : BatchNormalizedModule
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
        """);

    [Fact]
    public void ComposedNetwork() => Verify(nameof(ComposedNetwork), """
        namespace Models;

        [BatchNormalized]
        public sealed partial class Stem : BatchNormalizedModule
        {
            [BatchNorm(Name = "bn1")]
            private readonly Conv2d conv1 = Conv2d(3, 16, 3, padding: 1, bias: false);
            private readonly ReLU relu = ReLU(inplace: true);
            private readonly Sequential stage = Sequential(Conv2d(16, 16, 3, padding: 1, bias: false), new BatchNormSite("1", 16), ReLU());
            private readonly AdaptiveAvgPool2d pool = AdaptiveAvgPool2d(1);
            private readonly Flatten flatten = Flatten();
            private readonly Linear fc = Linear(16, 10);
        }
        """);

    [Fact]
    public void NoRunningStatistics() => Verify(nameof(NoRunningStatistics), """
        namespace Demo;

        [BatchNormalized(TrackRunningStats = false)]
        public partial class BatchStatsNet : BatchNormalizedModule
        {
            private readonly Linear embed = Linear(4, 4, hasBias: false);
            private readonly GELU gelu = GELU();
            private readonly Linear score = Linear(4, 1);
        }
        """);

    [Fact]
    public void NestedTypes() => Verify(nameof(NestedTypes), """
        namespace Demo.Nested;

        public static partial class Models
        {
            public partial record Zoo
            {
                [BatchNormalized]
                public sealed partial class TinyNet : BatchNormalizedModule
                {
                    private readonly Linear encoder = Linear(2, 3, hasBias: false);
                    private readonly Linear decoder = Linear(3, 1);
                }
            }
        }
        """);

    [Fact]
    public void GlobalNamespaceAndCustomModules() => Verify(nameof(GlobalNamespaceAndCustomModules), """
        public sealed class Scale : Module<Tensor, Tensor>
        {
            public Scale() : base(nameof(Scale)) { }
            public override Tensor forward(Tensor input) => input * 2;
        }

        [BatchNormalized]
        public sealed partial class GlobalNet : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = Linear(5, 6, hasBias: false);
            private readonly Scale scale = new Scale();
            private readonly Linear fc2 = Linear(123, 2);
        }
        """);

    [Fact]
    public void UserConstructor() => Verify(nameof(UserConstructor), """
        namespace Demo;

        [BatchNormalized]
        public sealed partial class SizedNet : BatchNormalizedModule
        {
            private readonly Linear hidden;
            private readonly ReLU relu = ReLU();
            private readonly Linear output;

            public SizedNet(long inputs, long width, long classes) : base(nameof(SizedNet))
            {
                hidden = Linear(inputs, width, hasBias: false);
                output = Linear(width, classes);
                InitializeBatchNorm();
            }

            public SizedNet() : this(784, 64, 10)
            {
            }
        }
        """);

    [Fact]
    public void Same_named_networks_in_different_namespaces_and_types_get_distinct_hint_names()
    {
        var (result, output, _) = GeneratorHarness.Run(Usings + """
            namespace A.B { [BatchNormalized] public partial class C : Module<Tensor, Tensor> { Linear l1 = Linear(2, 2); Linear l2 = Linear(2, 2); } }
            namespace A { public partial class Outer { [BatchNormalized] public partial class C : Module<Tensor, Tensor> { Linear l1 = Linear(2, 2); Linear l2 = Linear(2, 2); } } }
            [BatchNormalized] public partial class C : Module<Tensor, Tensor> { Linear l1 = Linear(2, 2); Linear l2 = Linear(2, 2); }
            namespace X { [BatchNormalized] public partial class C : Module<Tensor, Tensor> { Linear l1 = Linear(2, 2); Linear l2 = Linear(2, 2); } }
            """);

        Assert.Equal(
            new[] { "A.B.C.BatchNormalized.g.cs", "A.Outer+C.BatchNormalized.g.cs", "C.BatchNormalized.g.cs", "X.C.BatchNormalized.g.cs" },
            result.GeneratedSources.Select(s => s.HintName).OrderBy(n => n, System.StringComparer.Ordinal));
        GeneratorHarness.AssertNone(GeneratorHarness.CompileErrorsAndWarnings(output));
    }

    [Fact]
    public void Output_is_byte_identical_across_runs()
    {
        string source = Usings + "[BatchNormalized] public partial class N : Module<Tensor, Tensor> { Linear a = Linear(3, 4); ReLU r = ReLU(); Linear b = Linear(4, 1); }";
        var first = GeneratorHarness.Run(source).Result.GeneratedSources.Single().SourceText.ToString();
        var second = GeneratorHarness.Run(source).Result.GeneratedSources.Single().SourceText.ToString();
        Assert.Equal(first, second);
    }
}
