using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Emit;
using BnGen.Generator.Model;
using BnGen.Generator.Parsing;
using BnGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TorchSharp.Modules;

namespace BnGen.Generator.Tests;

/// <summary>
/// The generator names runtime types, methods, keys and defaults by string (it does not reference BnRuntime).
/// Each such string is checked here against the runtime itself, so a rename on one side fails a test; and the code
/// it generates is shown to call only public, documented runtime members.
/// </summary>
public sealed class RuntimeContractTests
{
    private static readonly Assembly Runtime = typeof(BatchNormSite).Assembly;

    private static Type RuntimeType(string globalName) =>
        Runtime.GetType(globalName.Replace("global::", ""), throwOnError: true)!;

    [Fact]
    public void Runtime_types_the_emitter_names_exist()
    {
        Assert.Equal(typeof(BatchNormSite), RuntimeType(RuntimeContract.Site));
        Assert.Equal(typeof(BatchNormNetwork), RuntimeType(RuntimeContract.Network));
        Assert.Equal(typeof(ForwardChain), RuntimeType(RuntimeContract.Chain));
        Assert.Equal(typeof(IBatchNormFusable), RuntimeType(RuntimeContract.FusableInterface));
        Assert.Equal(BatchNormNetwork.FusedMarkerKey, RuntimeContract.FusedMarkerKey);
        Assert.Equal(GeneratedMemberNames.IsFused, nameof(IBatchNormFusable.IsBatchNormFused));
        Assert.Equal(GeneratedMemberNames.Fuse, nameof(IBatchNormFusable.FuseBatchNorm));
    }

    [Theory]
    [InlineData(typeof(Linear), BatchNormInputKind.Dense)]
    [InlineData(typeof(Conv1d), BatchNormInputKind.Conv1d)]
    [InlineData(typeof(ConvTranspose2d), BatchNormInputKind.Conv2d)]
    [InlineData(typeof(Conv3d), BatchNormInputKind.Conv3d)]
    public void The_site_factory_fixes_the_input_the_generator_expects_after_each_layer(Type layerType, BatchNormInputKind expected)
    {
        using var layer = layerType.Name switch
        {
            nameof(Linear) => (TorchSharp.torch.nn.Module)TorchSharp.torch.nn.Linear(3, 4),
            nameof(Conv1d) => TorchSharp.torch.nn.Conv1d(3, 4, 1),
            nameof(ConvTranspose2d) => TorchSharp.torch.nn.ConvTranspose2d(3, 4, 1),
            _ => TorchSharp.torch.nn.Conv3d(3, 4, 1),
        };
        using var site = layer is Linear linear ? BatchNormSite.After(linear, "bn") : BatchNormSite.After((Convolution)layer, "bn");

        Assert.Equal(expected, site.Input);
        Assert.Equal(4, site.NumFeatures);
        Assert.Same(layer, site.Layer);
    }

    [Fact]
    public void The_generator_defaults_are_the_runtime_defaults()
    {
        var defaults = SiteOptions.PyTorchDefaults;
        var attribute = new BatchNormalizedAttribute();
        Assert.Equal(BatchNormDefaults.Momentum, defaults.Momentum);
        Assert.Equal(BatchNormDefaults.Epsilon, defaults.Epsilon);
        Assert.Equal(attribute.Momentum, defaults.Momentum);
        Assert.Equal(attribute.Epsilon, defaults.Epsilon);
        Assert.Equal(attribute.Affine, defaults.Affine);
        Assert.Equal(attribute.TrackRunningStats, defaults.TrackRunningStats);
        Assert.Equal(attribute.CumulativeAverage, defaults.CumulativeAverage);

        // The emitter leaves out options equal to these defaults: the factory's own defaults must be the same.
        var factories = typeof(BatchNormSite).GetMethods(BindingFlags.Public | BindingFlags.Static).Where(m => m.Name == RuntimeContract.SiteFactory).ToList();
        Assert.Equal(2, factories.Count);
        foreach (var factory in factories.Append<MethodBase>(typeof(BatchNormSite).GetConstructors().Single()))
        {
            var parameters = factory.GetParameters().ToDictionary(p => p.Name!);
            Assert.Equal(defaults.Momentum, parameters["momentum"].DefaultValue);
            Assert.Equal(defaults.Epsilon, parameters["eps"].DefaultValue);
            Assert.Equal(defaults.Affine, parameters["affine"].DefaultValue);
            Assert.Equal(defaults.TrackRunningStats, parameters["trackRunningStats"].DefaultValue);
            Assert.Equal(defaults.CumulativeAverage, parameters["cumulativeAverage"].DefaultValue);
        }
    }

    /// <summary>Networks that between them make the emitter write every kind of call it has.</summary>
    private const string Networks = """
        using BnGen;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        [BatchNormalized]
        public sealed partial class Mlp : Module<Tensor, Tensor>
        {
            private readonly Flatten flatten = Flatten();
            private readonly Linear fc1 = Linear(784, 64);
            private readonly ReLU relu = ReLU();
            private readonly Linear fc2 = Linear(64, 10);
        }

        [BatchNormalized(TrackRunningStats = false, Momentum = 0.2)]
        public sealed partial class Convs : BatchNormalizedModule
        {
            private readonly Conv2d conv;
            private readonly ConvTranspose2d up = ConvTranspose2d(8, 8, 2, stride: 2);
            private readonly Conv2d head = Conv2d(8, 1, 1);

            public Convs() : base(nameof(Convs))
            {
                conv = Conv2d(1, 8, 3, padding: 1);
                InitializeBatchNorm();
            }
        }

        [BatchNormalized]
        public sealed partial class Block : Module<Tensor, Tensor>
        {
            [BatchNorm(Name = "bn1")]
            private readonly Conv2d conv1 = Conv2d(4, 4, 3, padding: 1, bias: false);
            private readonly Sequential? downsample;

            public Block(bool down) : base(nameof(Block))
            {
                if (down)
                    downsample = Sequential(Conv2d(4, 4, 1, bias: false), new BatchNormSite("1", 4));
                InitializeBatchNorm();
            }

            public override Tensor forward(Tensor input)
            {
                var y = bn1.call(conv1.call(input));
                return downsample is null ? y : y + downsample.call(input);
            }
        }
        """;

    [Fact]
    public void Generated_code_calls_only_public_documented_runtime_members()
    {
        var (_, output, _) = GeneratorHarness.Run(Networks);
        GeneratorHarness.AssertNone(GeneratorHarness.CompileErrorsAndWarnings(output));
        var documented = DocumentedMembers();
        var generated = output.SyntaxTrees.Where(t => t.FilePath.EndsWith(".g.cs", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, generated.Count);

        var used = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        foreach (var tree in generated)
        {
            var model = output.GetSemanticModel(tree);
            foreach (var node in tree.GetRoot().DescendantNodes().Where(n => n is SimpleNameSyntax or ObjectCreationExpressionSyntax or BaseTypeSyntax))
            {
                var symbol = model.GetSymbolInfo(node is BaseTypeSyntax b ? b.Type : node).Symbol;
                if (symbol is not null and not INamespaceSymbol and not IParameterSymbol && symbol.ContainingAssembly?.Name == Runtime.GetName().Name)
                    used.Add(symbol.OriginalDefinition);
            }
        }

        // The runtime members the emitter is expected to use, at least: the contract is not vacuous.
        var names = used.Select(s => s.ToDisplayString()).ToList();
        Assert.Contains(names, n => n.StartsWith("BnGen.BatchNormSite.After(TorchSharp.Modules.Linear", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("BnGen.BatchNormSite.After(TorchSharp.Modules.Convolution", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("BnGen.ForwardChain.Run", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("BnGen.BatchNormNetwork.CheckCheckpoint", StringComparison.Ordinal));
        foreach (var symbol in used)
        {
            Assert.True(IsPublic(symbol), $"Generated code uses {symbol.ToDisplayString()}, which is not public.");
            string? id = symbol.GetDocumentationCommentId();
            Assert.True(id is not null && documented.Contains(id), $"Generated code uses {symbol.ToDisplayString()} ({id}), which has no XML documentation in BnRuntime.xml.");
        }
    }

    private static bool IsPublic(ISymbol symbol)
    {
        for (var current = symbol; current is not null and not INamespaceSymbol; current = current.ContainingSymbol)
        {
            if (current.DeclaredAccessibility != Accessibility.Public)
                return false;
        }

        return true;
    }

    /// <summary>The documentation IDs that BnRuntime.xml (built with the runtime, copied beside the tests) documents.</summary>
    private static HashSet<string> DocumentedMembers()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "BnRuntime.xml");
        Assert.True(File.Exists(path), $"BnRuntime.xml is not beside the tests at {path}: the runtime must build its XML documentation.");
        var xml = System.Xml.Linq.XDocument.Load(path);
        return xml.Descendants("member")
            .Where(m => m.Elements().Any(e => e.Name.LocalName is "summary" or "inheritdoc"))
            .Select(m => (string)m.Attribute("name")!)
            .ToHashSet(StringComparer.Ordinal);
    }

    [Fact]
    public void Every_option_the_parser_reads_is_a_property_of_the_attributes()
    {
        foreach (string name in OptionReader.OptionNames.All)
        {
            Assert.NotNull(typeof(BatchNormAttribute).GetProperty(name));
            if (name != OptionReader.OptionNames.Name)
                Assert.NotNull(typeof(BatchNormalizedAttribute).GetProperty(name));
        }

        Assert.Equal(KnownTypes.BatchNormalizedAttribute, typeof(BatchNormalizedAttribute).FullName);
        Assert.Equal(KnownTypes.BatchNormAttribute, typeof(BatchNormAttribute).FullName);
        Assert.Equal(KnownTypes.NoBatchNormAttribute, typeof(NoBatchNormAttribute).FullName);
    }

    [Fact]
    public void Every_diagnostic_has_a_unique_id_a_reference_section_and_a_release_entry()
    {
        string root = Repository.Root;
        string reference = File.ReadAllText(Path.Combine(root, "docs", "diagnostics.md"));
        string releases = File.ReadAllText(Path.Combine(root, "src", "BnGenerator", "AnalyzerReleases.Unshipped.md"));
        var ids = DiagnosticDescriptors.All.Select(d => d.Id).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        var fields = typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(DiagnosticDescriptor));
        Assert.Equal(fields.Count(), ids.Count);
        foreach (var id in ids)
        {
            Assert.Contains("\n## " + id + "\n", reference);
            Assert.Contains(id + " |", releases);
        }
    }
}
