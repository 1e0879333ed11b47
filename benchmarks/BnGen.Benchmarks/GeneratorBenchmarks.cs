using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using BenchmarkDotNet.Attributes;
using BnGen.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace BnGen.Benchmarks;

/// <summary>The generator over compilations of 1, 10 and 100 annotated networks, cold and after an unrelated edit.</summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class GeneratorBenchmarks
{
    private CSharpCompilation _compilation = null!;
    private CSharpCompilation _edited = null!;
    private GeneratorDriver _warmDriver = null!;

    [Params(1, 10, 100)]
    public int Networks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var references = ((string)System.AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", System.StringComparison.Ordinal) || Path.GetFileName(p) == "netstandard.dll")
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Append(typeof(BatchNormSite).Assembly.Location)
            .Select(p => MetadataReference.CreateFromFile(p));
        var trees = Enumerable.Range(0, Networks).Select(i => CSharpSyntaxTree.ParseText(Network(i), path: $"Net{i}.cs")).ToList();
        var unrelated = CSharpSyntaxTree.ParseText("namespace Demo; public static class Helpers { public static int Twice(int x) => x * 2; }", path: "Helpers.cs");
        _compilation = CSharpCompilation.Create("Bench", trees.Append(unrelated), references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        _edited = _compilation.ReplaceSyntaxTree(unrelated, CSharpSyntaxTree.ParseText("namespace Demo; public static class Helpers { public static int Twice(int x) => x + x; }", path: "Helpers.cs"));
        _warmDriver = NewDriver().RunGenerators(_compilation);
    }

    private static GeneratorDriver NewDriver() => CSharpGeneratorDriver.Create(new BatchNormalizedGenerator());

    private static string Network(int i)
    {
        var text = new StringBuilder();
        text.AppendLine("using BnGen; using TorchSharp.Modules; using static TorchSharp.torch; using static TorchSharp.torch.nn;");
        text.AppendLine("namespace Demo;");
        text.AppendLine($"[BatchNormalized] public sealed partial class Net{i} : Module<Tensor, Tensor> {{");
        text.AppendLine("  Conv2d conv1 = Conv2d(1, 16, 3, padding: 1); ReLU r1 = ReLU(); MaxPool2d p1 = MaxPool2d(2);");
        text.AppendLine("  Flatten f = Flatten(); Linear fc1 = Linear(16 * 14 * 14, 64); ReLU r2 = ReLU(); Linear fc2 = Linear(64, 10);");
        text.AppendLine("}");
        return text.ToString();
    }

    [Benchmark(Description = "cold run")]
    public GeneratorDriver Cold() => NewDriver().RunGenerators(_compilation);

    [Benchmark(Description = "unrelated edit")]
    public GeneratorDriver UnrelatedEdit() => _warmDriver.RunGenerators(_edited);
}
