using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using BnGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BnGen.Generator.Tests.Incremental;

/// <summary>The pipeline caches: an unrelated edit regenerates nothing; a real change regenerates; models hold no Roslyn objects.</summary>
public sealed class IncrementalTests
{
    private const string Network = """
        using BnGen; using TorchSharp.Modules; using static TorchSharp.torch; using static TorchSharp.torch.nn;
        namespace Demo;
        [BatchNormalized]
        public partial class Net : Module<Tensor, Tensor>
        {
            private readonly Linear fc1 = Linear(4, 8);
            private readonly ReLU relu = ReLU();
            private readonly Linear fc2 = Linear(8, 2);
        }
        """;

    private const string Unrelated = "namespace Demo; public static class Helpers { public static int Twice(int x) => x * 2; }";

    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun()
    {
        var compilation = GeneratorHarness.Compilation(Network, Unrelated);
        var driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(compilation);
        return (driver, compilation);
    }

    private static IEnumerable<IncrementalStepRunReason> Reasons(GeneratorDriver driver, string step) =>
        driver.GetRunResult().Results.Single().TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason);

    [Fact]
    public void An_edit_in_another_file_leaves_every_step_cached()
    {
        var (driver, compilation) = FirstRun();
        var unrelatedTree = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(unrelatedTree, CSharpSyntaxTree.ParseText(Unrelated.Replace("x * 2", "x + x"), GeneratorHarness.ParseOptions, path: unrelatedTree.FilePath));

        driver = driver.RunGenerators(edited);

        Assert.All(Reasons(driver, TrackingNames.Parse), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.All(Reasons(driver, TrackingNames.Networks), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
    }

    [Fact]
    public void A_change_to_the_network_regenerates()
    {
        var (driver, compilation) = FirstRun();
        var networkTree = compilation.SyntaxTrees.First();
        var edited = compilation.ReplaceSyntaxTree(networkTree, CSharpSyntaxTree.ParseText(Network.Replace("private readonly ReLU relu = ReLU();", "[NoBatchNorm] private readonly Linear mid = Linear(8, 8);"), GeneratorHarness.ParseOptions, path: networkTree.FilePath));

        driver = driver.RunGenerators(edited);

        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(driver, TrackingNames.Networks));
        Assert.Contains("chain.Run(mid);", driver.GetRunResult().GeneratedTrees.Single().ToString());
    }

    private const string Block = """
        using BnGen; using TorchSharp.Modules; using static TorchSharp.torch; using static TorchSharp.torch.nn;
        namespace Demo;
        [BatchNormalized]
        public partial class Block : Module<Tensor, Tensor>
        {
            [BatchNorm(Name = "bn1")]
            private readonly Conv2d conv1 = Conv2d(4, 4, 3, padding: 1, bias: false);
            private readonly ReLU relu = ReLU();
            public override Tensor forward(Tensor input) => relu.call(bn1.call(conv1.call(input))) + input;
        }
        """;

    [Fact]
    public void Editing_one_blocks_forward_regenerates_nothing()
    {
        var compilation = GeneratorHarness.Compilation(Network, Block);
        var driver = GeneratorHarness.Driver(trackSteps: true).RunGenerators(compilation);
        var blockTree = compilation.SyntaxTrees.Last();
        var edited = compilation.ReplaceSyntaxTree(blockTree, CSharpSyntaxTree.ParseText(Block.Replace("+ input;", "+ input * 2;"), GeneratorHarness.ParseOptions, path: blockTree.FilePath));

        driver = driver.RunGenerators(edited);

        // The block's forward is not part of its model: the parse reruns for its file, the model compares equal.
        Assert.All(Reasons(driver, TrackingNames.Networks), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.Equal(2, driver.GetRunResult().GeneratedTrees.Length);
    }

    /// <summary>
    /// The model that drives emission holds plain values only. Parse and Diagnostics carry the diagnostics with their
    /// real source locations on purpose (so #pragma suppresses them); the source output never sees those.
    /// </summary>
    [Fact]
    public void No_model_step_output_holds_a_symbol_syntax_node_or_compilation()
    {
        var (driver, _) = FirstRun();
        var ours = new[] { TrackingNames.Networks };
        foreach (var (name, steps) in driver.GetRunResult().Results.Single().TrackedSteps.Where(s => ours.Contains(s.Key)))
        {
            foreach (var output in steps.SelectMany(s => s.Outputs))
                AssertNoRoslynObjects(output.Value, name, new HashSet<object>(ReferenceEqualityComparer.Instance));
        }
    }

    private static void AssertNoRoslynObjects(object? value, string step, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum || !seen.Add(value))
            return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel or SyntaxTree or Location, $"step '{step}' holds a {value.GetType().Name}");
        if (value is System.Collections.IEnumerable items)
        {
            foreach (var item in items)
                AssertNoRoslynObjects(item, step, seen);
            return;
        }

        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            AssertNoRoslynObjects(field.GetValue(value), step, seen);
    }
}
