using System;
using System.Collections.Generic;
using System.Linq;
using BnGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;

namespace BnGen.Generator.Tests.CodeFixes;

/// <summary>
/// Roslyn's code-fix harness as BnGen is used: the analyzer reports, the generator runs (so the fixed code must
/// compile with its generated half, with no BNG diagnostic left), against this runtime's reference assemblies and
/// TorchSharp and BnRuntime, with no package download.
/// </summary>
internal sealed class CodeFixTest<TFix> : CSharpCodeFixTest<BatchNormalizedAnalyzer, TFix, DefaultVerifier>
    where TFix : CodeFixProvider, new()
{
    public const string Usings = """
        using BnGen;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;
        using static TorchSharp.torch.nn;

        """;

    private readonly string _fixedCode;

    public CodeFixTest(string source, string fixedSource)
    {
        _fixedCode = Usings + fixedSource;
        TestCode = Usings + source;
        FixedCode = _fixedCode;
        ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        foreach (var reference in Infrastructure.GeneratorHarness.References.Value)
        {
            TestState.AdditionalReferences.Add(reference);
            FixedState.AdditionalReferences.Add(reference);
        }

        // The generated half is checked by compiling it (RunAsync below), not by listing it here: the snapshot tests pin its
        // text. Before the fix the generator refuses the class, so the compiler's errors (no forward, no constructor)
        // are expected there; the harness compares BnGen's diagnostics only.
        TestBehaviors |= TestBehaviors.SkipGeneratedSourcesCheck;
        CompilerDiagnostics = CompilerDiagnostics.None;
    }

    /// <summary>The harness's checks, then the fixed source compiled with the generator: no error, no warning, no BNG diagnostic.</summary>
    public async System.Threading.Tasks.Task VerifyAsync()
    {
        await RunAsync();
        var run = Infrastructure.GeneratorHarness.Run(_fixedCode);
        Infrastructure.GeneratorHarness.AssertNone(run.Diagnostics.Where(d => d.Severity > DiagnosticSeverity.Hidden));
        Infrastructure.GeneratorHarness.AssertNone(Infrastructure.GeneratorHarness.CompileErrorsAndWarnings(run.Output));
        Assert.Single(run.Result.GeneratedSources);
    }

    protected override IEnumerable<Type> GetSourceGenerators() => new[] { typeof(BatchNormalizedGenerator) };
}
