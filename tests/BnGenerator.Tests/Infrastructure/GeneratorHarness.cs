using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using BnGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace BnGen.Generator.Tests.Infrastructure;

/// <summary>Runs the generator over source text the way the compiler does, against TorchSharp and BnRuntime.</summary>
internal static class GeneratorHarness
{
    /// <summary>This runtime's System assemblies, TorchSharp and BnRuntime: what a BnGen user's project compiles against.</summary>
    public static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Append(typeof(BatchNormSite).Assembly.Location)
            .Distinct();
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();
    });

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation Compilation(params string[] sources) => Compilation(sources, Array.Empty<string>());

    /// <summary>A compilation of <paramref name="sources"/> that also references the assemblies at <paramref name="extraReferences"/>.</summary>
    public static CSharpCompilation Compilation(string[] sources, params string[] extraReferences) =>
        CSharpCompilation.Create(
            "Networks",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Network{i}.cs")),
            References.Value.AddRange(extraReferences.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));

    public static GeneratorDriver Driver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            new[] { new BatchNormalizedGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>One run: the generator's result, the compilation with the generated code in it, the driver's own
    /// diagnostics, and every BNG diagnostic the user sees — the generator's and <see cref="BatchNormalizedAnalyzer"/>'s.</summary>
    public sealed record GeneratorRun(GeneratorRunResult Result, Compilation Output, ImmutableArray<Diagnostic> CompilerDiagnostics, ImmutableArray<Diagnostic> Diagnostics)
    {
        public void Deconstruct(out GeneratorRunResult result, out Compilation output, out ImmutableArray<Diagnostic> compilerDiagnostics)
        {
            result = Result;
            output = Output;
            compilerDiagnostics = CompilerDiagnostics;
        }
    }

    /// <summary>Runs the generator, and the analyzer on the user's code, as the compiler does.</summary>
    public static GeneratorRun Run(params string[] sources) => Run(sources, Array.Empty<string>());

    /// <inheritdoc cref="Run(string[])"/>
    public static GeneratorRun Run(string[] sources, params string[] extraReferences)
    {
        var compilation = Compilation(sources, extraReferences);
        var driver = Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var result = driver.GetRunResult().Results.Single();
        return new GeneratorRun(result, output, generatorDiagnostics, result.Diagnostics.AddRange(AnalyzerDiagnostics(compilation)));
    }

    /// <summary>What <see cref="BatchNormalizedAnalyzer"/> reports on <paramref name="compilation"/>; an analyzer exception fails the test.</summary>
    public static ImmutableArray<Diagnostic> AnalyzerDiagnostics(Compilation compilation)
    {
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), (e, _, _) => throw new InvalidOperationException("BatchNormalizedAnalyzer threw", e), concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        return compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new BatchNormalizedAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
    }

    /// <summary>Every BNG diagnostic the user sees (the generator's and the analyzer's), ordered by position then ID.</summary>
    public static IReadOnlyList<Diagnostic> GeneratorDiagnostics(string source) =>
        Run(source).Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ThenBy(d => d.Id, StringComparer.Ordinal).ToList();

    /// <summary>Fails with every diagnostic written out in full when there is any.</summary>
    public static void AssertNone(IEnumerable<Diagnostic> diagnostics)
    {
        var list = diagnostics.ToList();
        Assert.True(list.Count == 0, "Unexpected diagnostics:\n" + string.Join("\n", list));
    }

    /// <summary>Errors and warnings of compiling the user's code together with the generated code.</summary>
    public static IReadOnlyList<Diagnostic> CompileErrorsAndWarnings(Compilation output) =>
        output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
}
