using System.Linq;
using BnGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Tests.Robustness;

/// <summary>
/// What users porting PyTorch models type, each once: it either gets generated code that compiles (and
/// behaves like the hand-written network: see Behaviour/PortedNamesTests) or a BNG diagnostic that names
/// the member, on the user's own syntax. Never a generator crash, never generated code that does not compile.
/// </summary>
public sealed class PortingMistakeTests
{
    private const string Usings = "using BnGen; using TorchSharp; using TorchSharp.Modules; using static TorchSharp.torch; using static TorchSharp.torch.nn;\n";

    private static (System.Collections.Generic.IReadOnlyList<Diagnostic> Generator, System.Collections.Generic.IReadOnlyList<Diagnostic> Errors, GeneratorRunResult Result) Run(params string[] sources)
    {
        var run = GeneratorHarness.Run(sources.Select(s => Usings + s).ToArray());
        var (result, output, driverDiagnostics) = run;
        Assert.DoesNotContain(driverDiagnostics.Concat(run.Diagnostics), d => d.Id is "CS8785" or "AD0001" or "BNG0099");
        Assert.Null(result.Exception);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        return (run.Diagnostics, errors, result);
    }

    /// <summary>The generated code compiles with the user's and no BNG error was needed.</summary>
    private static GeneratorRunResult Compiles(params string[] sources)
    {
        var (generator, errors, result) = Run(sources);
        GeneratorHarness.AssertNone(generator.Where(d => d.Severity == DiagnosticSeverity.Error));
        GeneratorHarness.AssertNone(errors);
        Assert.NotEmpty(result.GeneratedSources);
        return result;
    }

    /// <summary>A BNG error of <paramref name="id"/> whose message names <paramref name="name"/>, located in user code; nothing generated for the class.</summary>
    private static Diagnostic Refused(string id, string name, params string[] sources)
    {
        var (generator, errors, result) = Run(sources);
        var diagnostic = generator.FirstOrDefault(d => d.Id == id);
        Assert.True(diagnostic is not null, $"expected {id}, got: {string.Join("; ", generator)}");
        Assert.Contains($"'{name}'", diagnostic!.GetMessage());
        Assert.Equal(LocationKind.SourceFile, diagnostic.Location.Kind);
        Assert.Empty(result.GeneratedSources);
        Assert.DoesNotContain(errors, e => e.Location.SourceTree?.FilePath.EndsWith(".g.cs") == true);
        return diagnostic;
    }

    private const string Chain = "Linear fc1 = Linear(4, 8); ReLU relu = ReLU(); Linear fc2 = Linear(8, 2);";

    [Fact]
    public void A_namespace_written_with_a_verbatim_keyword_gets_a_hint_name_without_the_at_sign()
    {
        var result = Compiles("namespace @namespace.x { [BatchNormalized] public partial class Net : Module<Tensor, Tensor> { " + Chain + " } }");
        var hint = Assert.Single(result.GeneratedSources).HintName;
        Assert.DoesNotContain("@", hint);
        Assert.Equal("namespace.x.Net.BatchNormalized.g.cs", hint);
    }

    [Fact]
    public void Unicode_and_verbatim_type_names_get_unique_portable_hint_names()
    {
        var result = Compiles(
            "namespace A { [BatchNormalized] public partial class Сеть : Module<Tensor, Tensor> { " + Chain + " } }",
            "namespace A { [BatchNormalized] public partial class @class : Module<Tensor, Tensor> { " + Chain + " } }");
        Assert.All(result.GeneratedSources, s => Assert.Matches("^[A-Za-z0-9_.+-]+$", s.HintName));
        Assert.Equal(2, result.GeneratedSources.Select(s => s.HintName).Distinct().Count());
    }

    [Fact]
    public void BatchNormalized_on_two_partial_declarations_generates_once_and_leaves_CS0579_to_the_compiler()
    {
        var (_, errors, result) = Run(
            "namespace Demo; [BatchNormalized] public partial class Net : Module<Tensor, Tensor> { " + Chain + " }",
            "namespace Demo; [BatchNormalized] public partial class Net { }");
        Assert.Single(result.GeneratedSources);
        Assert.Contains(errors, e => e.Id == "CS0579");
        Assert.DoesNotContain(errors, e => e.Location.SourceTree?.FilePath.EndsWith(".g.cs") == true);
    }

    [Theory]
    [InlineData("input")]
    [InlineData("x")]
    [InlineData("training")]
    [InlineData("@class")]
    [InlineData("@event")]
    [InlineData("skip")]
    [InlineData("source")]
    [InlineData("children")]
    [InlineData("Advance")]
    [InlineData("chain")]
    public void Layers_named_like_generated_locals_or_keywords_compile(string name)
    {
        var result = Compiles($"[BatchNormalized] public partial class Net : Module<Tensor, Tensor> {{ Linear {name} = Linear(4, 8); ReLU relu = ReLU(); Linear fc2 = Linear(8, 2); }}");
        string code = result.GeneratedSources.Single().SourceText.ToString();
        Assert.Contains($"register_module(\"{name.TrimStart('@')}\"", code);
        Assert.Contains($"register_module(\"{name.TrimStart('@')}_bn\"", code);
    }

    [Fact]
    public void A_field_that_takes_a_site_name_is_BNG0013()
    {
        var d = Refused("BNG0013", "a_bn", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear a = Linear(4, 8); Linear a_bn = Linear(8, 8); Linear b = Linear(8, 2); }");
        Assert.Contains("'a'", d.GetMessage());
        Assert.Contains("field 'a_bn'", d.GetMessage());
    }

    [Fact]
    public void Two_sites_with_one_name_are_BNG0013()
    {
        var d = Refused("BNG0013", "bn", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { [BatchNorm(Name = \"bn\")] Linear a = Linear(4, 8); [BatchNorm(Name = \"bn\")] Linear b = Linear(8, 8); Linear c = Linear(8, 2); }");
        Assert.Contains("the site after 'a'", d.GetMessage());
    }

    [Theory]
    [InlineData("public override void train(bool on = true) => base.train(on);", "train")]
    [InlineData("public void FuseBatchNorm() { }", "FuseBatchNorm")]
    [InlineData("void InitializeBatchNorm() { }", "InitializeBatchNorm")]
    [InlineData("public bool IsBatchNormFused => false;", "IsBatchNormFused")]
    public void A_member_that_takes_a_generated_name_is_BNG0014(string member, string name)
    {
        var d = Refused("BNG0014", name, "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { " + Chain + " " + member + " }");
        Assert.Contains("'Net'", d.GetMessage());
    }

    [Fact]
    public void A_file_local_class_is_BNG0003()
    {
        Assert.Contains("file-local", Refused("BNG0003", "Net", "[BatchNormalized] file partial class Net : Module<Tensor, Tensor> { " + Chain + " }").GetMessage());
    }

    [Fact]
    public void A_base_class_that_seals_train_is_BNG0003()
    {
        var d = Refused("BNG0003", "Net",
            "public abstract class Base : Module<Tensor, Tensor> { protected Base() : base(\"b\") { } public sealed override void train(bool on = true) => base.train(on); }\n" +
            "[BatchNormalized] public partial class Net : Base { " + Chain + " }");
        Assert.Contains("'Base' seals train(bool)", d.GetMessage());
    }

    [Fact]
    public void A_layer_declared_as_a_property_is_BNG0015()
    {
        var d = Refused("BNG0015", "fc2", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); ReLU relu = ReLU(); Linear fc2 { get; } = Linear(8, 2); }");
        Assert.Contains("property", d.GetMessage());
    }

    [Fact]
    public void A_Parameter_field_is_BNG0015()
    {
        var d = Refused("BNG0015", "scale", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { " + Chain + " Parameter scale = new Parameter(ones(2)); }");
        Assert.Contains("a Parameter", d.GetMessage());
    }

    [Fact]
    public void A_ModuleList_field_is_BNG0015()
    {
        var d = Refused("BNG0015", "blocks", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { " + Chain + " ModuleList<Module<Tensor, Tensor>> blocks = ModuleList<Module<Tensor, Tensor>>(); }");
        Assert.Contains("ModuleList", d.GetMessage());
    }

    [Fact]
    public void Layers_inherited_from_a_base_class_are_BNG0015()
    {
        var d = Refused("BNG0015", "stem",
            "public abstract class Base : Module<Tensor, Tensor> { protected Linear stem = Linear(4, 4); protected Base() : base(\"b\") { } }\n" +
            "[BatchNormalized] public partial class Net : Base { " + Chain + " }");
        Assert.Contains("base class 'Base'", d.GetMessage());
    }

    [Fact]
    public void Layers_split_over_two_files_are_BNG0016()
    {
        var d = Refused("BNG0016", "Net",
            "namespace Demo; [BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear inp = Linear(4, 8); ReLU relu1 = ReLU(); }",
            "namespace Demo; public partial class Net { Linear hidden = Linear(8, 8); Linear output = Linear(8, 2); }");
        Assert.Contains("Network0.cs, Network1.cs", d.GetMessage());
    }

    [Fact]
    public void One_partial_file_with_the_layers_and_another_with_methods_is_fine()
    {
        Compiles(
            "namespace Demo; [BatchNormalized] public partial class Net : Module<Tensor, Tensor> { " + Chain + " }",
            "namespace Demo; public partial class Net { public int Width => 8; }");
    }

    [Fact]
    public void A_primary_constructor_is_BNG0017()
    {
        Refused("BNG0017", "Net", "[BatchNormalized] public partial class Net(int width) : Module<Tensor, Tensor>(\"net\") { Linear fc1 = Linear(4, width); ReLU relu = ReLU(); Linear fc2 = Linear(width, 2); }");
    }

    [Fact]
    public void InitializeBatchNorm_before_a_layer_is_assigned_is_BNG0018()
    {
        var d = Refused("BNG0018", "fc2", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1; ReLU relu = ReLU(); Linear fc2; public Net() : base(\"n\") { fc1 = Linear(4, 8); InitializeBatchNorm(); this.fc2 = Linear(8, 2); } }");
        Assert.Contains("this.fc2 = Linear(8, 2)", d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan));
    }

    [Fact]
    public void Convolutions_of_different_ranks_are_BNG0019()
    {
        var d = Refused("BNG0019", "conv3", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Conv1d conv = Conv1d(3, 8, 3); Conv3d conv3 = Conv3d(8, 8, 1); Flatten f = Flatten(); Linear fc = Linear(8, 2); }");
        Assert.Contains("'conv'", d.GetMessage());
        Assert.Contains("[N, C, L]", d.GetMessage());
    }

    [Fact]
    public void PyTorchs_LeNet_tutorial_ported_field_by_field_is_BNG0022_not_a_run_time_shape_error()
    {
        // The tutorial declares one pool and calls it twice; field by field its chain ends in pool after fc3.
        var d = Refused("BNG0022", "pool", """
            [BatchNormalized] public partial class Net : Module<Tensor, Tensor>
            {
                Conv2d conv1 = Conv2d(3, 6, 5); Conv2d conv2 = Conv2d(6, 16, 5); Flatten flatten = Flatten();
                Linear fc1 = Linear(16 * 5 * 5, 120); Linear fc2 = Linear(120, 84); Linear fc3 = Linear(84, 10);
                ReLU relu = ReLU(); MaxPool2d pool = MaxPool2d(2, 2);
            }
            """);
        Assert.Contains("'fc3'", d.GetMessage());
        Assert.Contains("its own forward", d.GetMessage());
        // The same layers with a forward of their own are fine.
        Compiles("""
            [BatchNormalized] public partial class Net : Module<Tensor, Tensor>
            {
                Conv2d conv1 = Conv2d(3, 6, 5); Conv2d conv2 = Conv2d(6, 16, 5); Flatten flatten = Flatten();
                Linear fc1 = Linear(16 * 5 * 5, 120); Linear fc2 = Linear(120, 84); Linear fc3 = Linear(84, 10);
                ReLU relu = ReLU(); MaxPool2d pool = MaxPool2d(2, 2);
                public override Tensor forward(Tensor x)
                {
                    x = pool.call(relu.call(conv1_bn.call(conv1.call(x))));
                    x = pool.call(relu.call(conv2_bn.call(conv2.call(x))));
                    x = relu.call(fc1_bn.call(fc1.call(flatten.call(x))));
                    x = relu.call(fc2_bn.call(fc2.call(x)));
                    return fc3.call(x);
                }
            }
            """);
    }

    [Fact]
    public void A_transposed_convolution_after_one_of_another_rank_is_BNG0019()
    {
        var d = Refused("BNG0019", "up", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { ConvTranspose2d up2 = ConvTranspose2d(8, 8, 2); ConvTranspose1d up = ConvTranspose1d(8, 4, 2); Conv1d head = Conv1d(4, 1, 1); }");
        Assert.Contains("'up2'", d.GetMessage());
    }

    [Fact]
    public void Transposed_convolutions_chain_channels_like_convolutions()
    {
        var d = Refused("BNG0006", "up2", "[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { ConvTranspose2d up1 = ConvTranspose2d(8, 16, 2); ConvTranspose2d up2 = ConvTranspose2d(12, 1, 2); }");
        Assert.Contains("16", d.GetMessage());
    }

    [Theory]
    [InlineData("[BatchNormalized(Momentum = 0.9)]", "")]
    [InlineData("[BatchNormalized]", "[BatchNorm(Momentum = 0.99)]")]
    public void A_momentum_above_one_half_is_BNG0020(string classAttribute, string fieldAttribute)
    {
        var (generator, errors, result) = Run(classAttribute + " public partial class Net : Module<Tensor, Tensor> { " + fieldAttribute + " Linear fc1 = Linear(4, 8); ReLU relu = ReLU(); Linear fc2 = Linear(8, 2); }");
        var d = Assert.Single(generator, d => d.Id == "BNG0020");
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Contains("BatchNormDefaults.MomentumFromOldValueWeight", d.GetMessage());
        Assert.Contains("Momentum = 0.1", d.GetMessage().Replace("0.01", "0.1"));
        Assert.Empty(errors);
        Assert.Single(result.GeneratedSources);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Momenta_that_read_as_new_value_weights_get_no_BNG0020(double momentum)
    {
        var (generator, _, _) = Run($"[BatchNormalized(Momentum = {momentum.ToString(System.Globalization.CultureInfo.InvariantCulture)})] public partial class Net : Module<Tensor, Tensor> {{ {Chain} }}");
        Assert.DoesNotContain(generator, d => d.Id == "BNG0020");
    }

    [Fact]
    public void Diagnostics_sit_on_real_source_locations_so_pragmas_apply()
    {
        // A location rebuilt from a path (LocationKind.ExternalFile) is never checked against #pragma by the compiler.
        var (generator, _, _) = Run("[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { Linear fc1 = Linear(4, 8); ReLU relu = ReLU(); Linear fc2 = Linear(8, 2); }");
        var d = Assert.Single(generator, d => d.Id == "BNG0008");
        Assert.Equal(LocationKind.SourceFile, d.Location.Kind);
        Assert.Equal("Network0.cs", d.Location.SourceTree!.FilePath);
    }

    [Fact]
    public void Site_names_chosen_with_Name_are_registered_under_that_name()
    {
        var result = Compiles("[BatchNormalized] public partial class Net : Module<Tensor, Tensor> { [BatchNorm(Name = \"bn1\")] Linear conv1 = Linear(4, 8); ReLU relu = ReLU(); Linear fc2 = Linear(8, 2); }");
        string code = result.GeneratedSources.Single().SourceText.ToString();
        Assert.Contains("register_module(\"bn1\", bn1);", code);
        Assert.Contains("chain.Run(bn1);", code);
    }

    [Theory]
    [InlineData("\"1bn\"")]
    [InlineData("\"class\"")]
    [InlineData("\"downsample.1\"")]
    [InlineData("\"\"")]
    [InlineData("null")]
    public void Invalid_site_names_are_BNG0009(string name)
    {
        Refused("BNG0009", "fc1", $"[BatchNormalized] public partial class Net : Module<Tensor, Tensor> {{ [BatchNorm(Name = {name})] Linear fc1 = Linear(4, 8); ReLU relu = ReLU(); Linear fc2 = Linear(8, 2); }}");
    }
}
