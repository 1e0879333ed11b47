using System;
using System.Collections.Generic;
using System.Linq;
using BnGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Tests.Diagnostics;

/// <summary>
/// Broken code as an editor sees it: every snapshot source truncated at many points and mutated at random.
/// The generator must neither throw (CS8785, or BNG0099 from its own safety net) nor crash the driver.
/// </summary>
public sealed class FuzzTests
{
    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public FuzzTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    private static IEnumerable<string> Seeds()
    {
        yield return """
            using BnGen; using TorchSharp.Modules; using static TorchSharp.torch; using static TorchSharp.torch.nn;
            namespace Demo;
            [BatchNormalized(Momentum = 0.2, Epsilon = 1e-3, CumulativeAverage = false)]
            public sealed partial class Net : Module<Tensor, Tensor>
            {
                private const int Width = 16;
                private readonly Conv2d conv1 = Conv2d(1, Width, 3, padding: 1, bias: false);
                private readonly ReLU relu1 = ReLU();
                private readonly MaxPool2d pool = MaxPool2d(2);
                private readonly Flatten flatten = Flatten();
                [BatchNorm(Momentum = 0.5)]
                private readonly Linear fc1 = Linear(Width * 14 * 14, 64);
                [NoBatchNorm]
                private readonly Linear fc2 = Linear(64, 32);
                private readonly Linear fc3 = Linear(32, 10);
                public Net(int x) : base("n") { InitializeBatchNorm(); }
                public Net() : this(1) { }
            }
            public partial class Outer { [BatchNormalized] partial class Inner : Module<Tensor, Tensor> { Linear a = Linear(2, 3); Linear b = Linear(3, 1); } }
            """;
    }

    private static readonly string[] Fragments = { "partial", "[BatchNormalized]", "[BatchNorm(", "Linear(", ")", "(", "{", "}", ";", "=", ",", "<", ">", "Module<Tensor, Tensor>", "static", "const", "\"", "/*", "@", "0", "-1", "1e400", "forward", "InitializeBatchNorm();", "class", "namespace" };

    [Fact]
    public void Thousands_of_truncated_and_mutated_sources_never_make_the_generator_throw()
    {
        var random = new Random(20261124);
        int cases = 0;
        foreach (string seed in Seeds())
        {
            for (int length = 0; length <= seed.Length; length += 3)
            {
                Check(seed[..length]);
                cases++;
            }

            for (int i = 0; i < 2500; i++)
            {
                Check(Mutate(seed, random));
                cases++;
            }
        }

        _output.WriteLine($"{cases} fuzzed sources, no exception, no CS8785, no BNG0099");
        Assert.True(cases >= 2500, $"ran {cases} cases");
    }

    private static string Mutate(string source, Random random)
    {
        var text = source;
        int edits = random.Next(1, 4);
        for (int e = 0; e < edits; e++)
        {
            int at = random.Next(text.Length);
            switch (random.Next(3))
            {
                case 0:
                    text = text.Remove(at, Math.Min(random.Next(1, 12), text.Length - at));
                    break;
                case 1:
                    text = text.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                default:
                    int length = Math.Min(random.Next(1, 20), text.Length - at);
                    string piece = text.Substring(at, length);
                    text = text.Insert(random.Next(text.Length), piece);
                    break;
            }
        }

        return text;
    }

    private static void Check(string source)
    {
        var run = GeneratorHarness.Run(source);
        var (result, _, driverDiagnostics) = run;
        Assert.True(result.Exception is null, $"generator threw {result.Exception} on:\n{source}");
        Assert.DoesNotContain(driverDiagnostics, d => d.Id == "CS8785");
        var internalError = run.Diagnostics.FirstOrDefault(d => d.Id == "BNG0099");
        Assert.True(internalError is null, $"{internalError} on:\n{source}");
    }
}
