using System.Linq;
using BnGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Tests.Diagnostics;

/// <summary>One positive and one negative case per diagnostic ID, with the message and location checked.</summary>
public sealed class DiagnosticTests
{
    private const string Usings = "using BnGen; using TorchSharp; using TorchSharp.Modules; using static TorchSharp.torch; using static TorchSharp.torch.nn;\n";

    private static Diagnostic Single(string id, string source)
    {
        var diagnostics = GeneratorHarness.GeneratorDiagnostics(Usings + source).Where(d => d.Id == id).ToList();
        Assert.True(diagnostics.Count == 1, $"expected one {id}, got: {string.Join("; ", GeneratorHarness.GeneratorDiagnostics(Usings + source))}");
        // No help link until BnGen has a documentation site: a link must lead to a real page. docs/diagnostics.md explains each ID.
        Assert.Equal("", diagnostics[0].Descriptor.HelpLinkUri);
        return diagnostics[0];
    }

    private static void None(string id, string source) =>
        Assert.DoesNotContain(GeneratorHarness.GeneratorDiagnostics(Usings + source), d => d.Id == id);

    private static string TextAt(Diagnostic diagnostic, string source) =>
        (Usings + source).Substring(diagnostic.Location.SourceSpan.Start, diagnostic.Location.SourceSpan.Length);

    private const string Good = "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); ReLU relu = ReLU(); Linear fc2 = Linear(8, 2); }";

    [Fact]
    public void BNG0001_not_partial()
    {
        const string source = "[BatchNormalized] public class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); Linear fc2 = Linear(8, 2); public Net() : base(\"n\") { } public override Tensor forward(Tensor x) => x; }";
        var d = Single("BNG0001", source);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("'Net'", d.GetMessage());
        Assert.Equal("BatchNormalized", TextAt(d, source));
        None("BNG0001", Good);
    }

    [Fact]
    public void BNG0002_not_a_tensor_module()
    {
        var d = Single("BNG0002", "[BatchNormalized] public partial class Plain { }");
        Assert.Contains("'Plain'", d.GetMessage());
        Single("BNG0002", "[BatchNormalized] public partial class Pair : Module<Tensor, Tensor, Tensor> { public Pair() : base(\"p\") { } public override Tensor forward(Tensor a, Tensor b) => a; }");
        None("BNG0002", Good);
    }

    [Fact]
    public void BNG0003_generic_or_nested_in_a_non_partial_type()
    {
        Assert.Contains("generic", Single("BNG0003", "[BatchNormalized] public partial class G<T> : Module<Tensor, Tensor> { Linear a = Linear(2, 2); Linear b = Linear(2, 2); }").GetMessage());
        Assert.Contains("'Outer', which is not partial", Single("BNG0003", "public class Outer { [BatchNormalized] public partial class N : Module<Tensor, Tensor> { Linear a = Linear(2, 2); Linear b = Linear(2, 2); } }").GetMessage());
        Assert.Contains("generic type 'Outer'", Single("BNG0003", "public partial class Outer<T> { [BatchNormalized] public partial class N : Module<Tensor, Tensor> { Linear a = Linear(2, 2); Linear b = Linear(2, 2); } }").GetMessage());
        None("BNG0003", "public partial class Outer { " + Good + " }");
    }

    [Fact]
    public void BNG0004_no_layer_a_site_can_follow()
    {
        var d = Single("BNG0004", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { ReLU relu = ReLU(); Linear only = Linear(3, 1); }");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        None("BNG0004", Good);
        None("BNG0004", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { [BatchNorm] Linear only = Linear(3, 1); }");
    }

    [Fact]
    public void BNG0005_a_site_your_forward_never_calls()
    {
        const string source = "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); Linear fc2 = Linear(8, 2); public override Tensor forward(Tensor x) => fc2.call(fc1.call(x)); }";
        var d = Single("BNG0005", source);
        Assert.Equal(DiagnosticSeverity.Error, d.Severity);
        Assert.Contains("'fc1_bn'", d.GetMessage());
        Assert.Equal("fc1", TextAt(d, source));
        None("BNG0005", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); Linear fc2 = Linear(8, 2); public override Tensor forward(Tensor x) => fc2.call(fc1_bn.call(fc1.call(x))); }");
        None("BNG0005", Good);
    }

    [Fact]
    public void BNG0021_a_site_applied_to_another_layers_output()
    {
        const string direct = "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { [BatchNorm] Linear fc1 = Linear(4, 4); [BatchNorm] Linear fc2 = Linear(4, 4); public override Tensor forward(Tensor x) => fc2_bn.call(fc1.call(fc1_bn.call(fc1.call(x)))); }";
        var d = Single("BNG0021", direct);
        Assert.Contains("'fc2_bn' is the batch-norm site of 'fc2', but forward applies it to the output of 'fc1'", d.GetMessage());

        const string throughLocal = "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { [BatchNorm(Name = \"bn1\")] Conv2d conv1 = Conv2d(3, 3, 1); [BatchNorm(Name = \"bn2\")] Conv2d conv2 = Conv2d(3, 3, 1); public override Tensor forward(Tensor input) { var y = conv1.call(input); y = bn1.call(y); var z = conv2.call(y); z = bn1.call(z); return bn2.call(z); } }";
        var local = Single("BNG0021", throughLocal);
        Assert.Contains("'bn1' is the batch-norm site of 'conv1', but forward applies it to the output of 'conv2'", local.GetMessage());
        Assert.Equal("bn1.call(z)", TextAt(local, throughLocal));

        None("BNG0021", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { [BatchNorm(Name = \"bn1\")] Conv2d conv1 = Conv2d(3, 3, 1); public override Tensor forward(Tensor input) { var y = conv1.call(input); y = bn1.call(y); return y; } }");
    }

    [Fact]
    public void BNG0006_sizes_that_do_not_chain()
    {
        const string source = "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(784, 64); ReLU r = ReLU(); Linear fc2 = Linear(100, 10); }";
        var d = Single("BNG0006", source);
        Assert.Equal("'fc2' expects 100 input features, but 'fc1' before it produces 64 (normalized by its batch-norm site 'fc1_bn')", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("fc2", TextAt(d, source));

        const string conv = "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { const int C = 16; Conv2d c1 = Conv2d(3, C, 3); MaxPool2d p = MaxPool2d(2); Conv2d c2 = Conv2d(8, 4, 3); }";
        Assert.Contains("'c2' expects 8 input channels, but 'c1' before it produces 16", Single("BNG0006", conv).GetMessage());

        None("BNG0006", Good);
        None("BNG0006", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { static long n = 5; Linear fc1 = Linear(4, n); Linear fc2 = Linear(100, 2); }");
        None("BNG0006", "public sealed class Id : Module<Tensor, Tensor> { public Id() : base(\"i\") { } public override Tensor forward(Tensor x) => x; } [BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); Id custom = new Id(); Linear fc2 = Linear(100, 2); }");
    }

    [Fact]
    public void BNG0007_linear_after_conv_without_flatten()
    {
        const string source = "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Conv2d conv = Conv2d(1, 4, 3); ReLU r = ReLU(); Linear fc = Linear(100, 10); }";
        var d = Single("BNG0007", source);
        Assert.Contains("'fc'", d.GetMessage());
        Assert.Contains("'conv'", d.GetMessage());
        None("BNG0007", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Conv2d conv = Conv2d(1, 4, 3); Flatten f = Flatten(); Linear fc = Linear(100, 10); }");
    }

    [Fact]
    public void BNG0008_bias_before_a_site_is_information()
    {
        var d = Single("BNG0008", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); Linear fc2 = Linear(8, 2); }");
        Assert.Equal(DiagnosticSeverity.Info, d.Severity);
        Assert.Contains("hasBias: false", d.GetMessage());
        Assert.Contains("bias: false", Single("BNG0008", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Conv1d c = Conv1d(4, 8, 3, bias: true); Conv1d d = Conv1d(8, 2, 1); }").GetMessage());
        None("BNG0008", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8, hasBias: false); Linear fc2 = Linear(8, 2); }");
    }

    [Theory]
    [InlineData("Momentum = 0.0", "Momentum", "0")]
    [InlineData("Momentum = 1.5", "Momentum", "1.5")]
    [InlineData("Epsilon = 0.0", "Epsilon", "0")]
    [InlineData("Epsilon = -1e-5", "Epsilon", "-1E-05")]
    public void BNG0009_invalid_option_values(string option, string name, string value)
    {
        string source = $"[BatchNormalized({option})] public partial class Net : Module<Tensor, Tensor> {{ Linear fc1 = Linear(4, 8); Linear fc2 = Linear(8, 2); }}";
        var d = Single("BNG0009", source);
        Assert.StartsWith($"{name} on 'Net' is {value};", d.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(option, TextAt(d, source));
        None("BNG0009", "[BatchNormalized(Momentum = 1.0, Epsilon = 1e-3)] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); Linear fc2 = Linear(8, 2); }");
    }

    [Fact]
    public void BNG0009_on_a_field_override_names_the_field()
    {
        var d = Single("BNG0009", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { [BatchNorm(Momentum = 2.0)] Linear fc1 = Linear(4, 8); Linear fc2 = Linear(8, 2); }");
        Assert.Contains("on 'fc1'", d.GetMessage());
    }

    [Theory]
    [InlineData("[BatchNormalized(CumulativeAverage = true, TrackRunningStats = false)]", "", "needs TrackRunningStats")]
    [InlineData("[BatchNormalized(CumulativeAverage = true, Momentum = 0.2)]", "", "Momentum is ignored")]
    [InlineData("[BatchNormalized]", "[BatchNorm, NoBatchNorm]", "both [BatchNorm] and [NoBatchNorm]")]
    public void BNG0010_contradictory_options(string classAttribute, string fieldAttributes, string message)
    {
        var d = Single("BNG0010", $"{classAttribute} public partial class Net : Module<Tensor, Tensor> {{ {fieldAttributes} Linear fc1 = Linear(4, 8); Linear fc2 = Linear(8, 2); }}");
        Assert.Contains(message, d.GetMessage());
        None("BNG0010", "[BatchNormalized(CumulativeAverage = true)] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); Linear fc2 = Linear(8, 2); }");
    }

    [Fact]
    public void BNG0011_attribute_on_a_field_no_site_can_follow()
    {
        const string source = "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); [BatchNorm] ReLU relu = ReLU(); Linear fc2 = Linear(8, 2); }";
        var d = Single("BNG0011", source);
        Assert.Equal("relu", TextAt(d, source));
        Assert.Contains("[BatchNorm]", d.GetMessage());
        None("BNG0011", Good);
    }

    [Fact]
    public void BNG0012_constructor_that_does_not_call_InitializeBatchNorm()
    {
        const string source = "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1; Linear fc2; public Net(int n) : base(\"n\") { fc1 = Linear(n, 8); fc2 = Linear(8, 2); } }";
        var d = Single("BNG0012", source);
        Assert.Equal("Net", TextAt(d, source));
        None("BNG0012", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1; Linear fc2; public Net(int n) : base(\"n\") { fc1 = Linear(n, 8); fc2 = Linear(8, 2); InitializeBatchNorm(); } public Net() : this(4) { } }");
    }

    [Fact]
    public void Errors_stop_generation_warnings_and_information_do_not()
    {
        Assert.Empty(GeneratorHarness.Run(Usings + "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); Linear fc2 = Linear(9, 2); }").Result.GeneratedSources);
        Assert.Single(GeneratorHarness.Run(Usings + Good).Result.GeneratedSources);
    }
}
