using System.Linq;
using System.Threading.Tasks;
using BnGen.CodeFixes;
using BnGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Testing;

namespace BnGen.Generator.Tests.CodeFixes;

/// <summary>
/// Each code fix on the mistake it repairs: the diagnostic where the analyzer reports it ({|BNGxxxx:…|} marks the span),
/// the source after the fix, which must compile with the generated code and leave no BNG diagnostic; and fix-all over
/// several occurrences at once. docs/diagnostics.md shows the same before and after.
/// </summary>
public sealed class CodeFixTests
{
    [Fact]
    public async Task BNG0001_declares_the_class_partial()
    {
        await new CodeFixTest<MakePartialCodeFix>(
            """
            [{|BNG0001:BatchNormalized|}]
            public sealed class Net : BatchNormalizedModule
            {
                private readonly Linear fc1 = Linear(4, 8, hasBias: false);
                private readonly Linear fc2 = Linear(8, 2);
            }
            """,
            """
            [BatchNormalized]
            public sealed partial class Net : BatchNormalizedModule
            {
                private readonly Linear fc1 = Linear(4, 8, hasBias: false);
                private readonly Linear fc2 = Linear(8, 2);
            }
            """).VerifyAsync();
    }

    [Fact]
    public async Task BNG0001_keeps_a_class_without_modifiers_readable()
    {
        await new CodeFixTest<MakePartialCodeFix>(
            """
            [{|BNG0001:BatchNormalized|}]
            class Net : BatchNormalizedModule
            {
                private readonly Linear fc1 = Linear(4, 8, hasBias: false);
                private readonly Linear fc2 = Linear(8, 2);
            }
            """,
            """
            [BatchNormalized]
            partial class Net : BatchNormalizedModule
            {
                private readonly Linear fc1 = Linear(4, 8, hasBias: false);
                private readonly Linear fc2 = Linear(8, 2);
            }
            """).VerifyAsync();
    }

    [Fact]
    public async Task BNG0012_calls_InitializeBatchNorm_after_the_layers_are_assigned()
    {
        await new CodeFixTest<CallInitializeBatchNormCodeFix>(
            """
            [BatchNormalized]
            public sealed partial class Net : BatchNormalizedModule
            {
                private readonly Linear fc1;
                private readonly Linear fc2;

                public {|BNG0012:Net|}(int hidden)
                    : base(nameof(Net))
                {
                    fc1 = Linear(4, hidden, hasBias: false);
                    fc2 = Linear(hidden, 2);
                }
            }
            """,
            """
            [BatchNormalized]
            public sealed partial class Net : BatchNormalizedModule
            {
                private readonly Linear fc1;
                private readonly Linear fc2;

                public Net(int hidden)
                    : base(nameof(Net))
                {
                    fc1 = Linear(4, hidden, hasBias: false);
                    fc2 = Linear(hidden, 2);
                    InitializeBatchNorm();
                }
            }
            """).VerifyAsync();
    }

    [Fact]
    public async Task BNG0012_turns_an_expression_bodied_constructor_into_a_block()
    {
        await new CodeFixTest<CallInitializeBatchNormCodeFix>(
            """
            [BatchNormalized]
            public sealed partial class Net : BatchNormalizedModule
            {
                private readonly Linear fc1 = Linear(4, 8, hasBias: false);
                private readonly Linear fc2 = Linear(8, 2);

                public {|BNG0012:Net|}() : base(nameof(Net)) => System.Console.WriteLine("made");
            }
            """,
            """
            [BatchNormalized]
            public sealed partial class Net : BatchNormalizedModule
            {
                private readonly Linear fc1 = Linear(4, 8, hasBias: false);
                private readonly Linear fc2 = Linear(8, 2);

                public Net() : base(nameof(Net))
                {
                    System.Console.WriteLine("made");
                    InitializeBatchNorm();
                }
            }
            """).VerifyAsync();
    }

    [Fact]
    public async Task BNG0020_writes_the_Keras_momentum_as_PyTorchs_and_fixes_all_at_once()
    {
        var test = new CodeFixTest<PyTorchMomentumCodeFix>(
            """
            [BatchNormalized({|BNG0020:Momentum = 0.9|})]
            public sealed partial class Net : BatchNormalizedModule
            {
                [BatchNorm({|BNG0020:Momentum = 0.99|})]
                private readonly Linear fc1 = Linear(4, 8, hasBias: false);
                [BatchNorm({|BNG0020:Momentum = 0.95|}, Epsilon = 1e-3)]
                private readonly Linear fc2 = Linear(8, 8, hasBias: false);
                private readonly Linear fc3 = Linear(8, 2);
            }
            """,
            """
            [BatchNormalized(Momentum = 0.1)]
            public sealed partial class Net : BatchNormalizedModule
            {
                [BatchNorm(Momentum = 0.01)]
                private readonly Linear fc1 = Linear(4, 8, hasBias: false);
                [BatchNorm(Momentum = 0.05, Epsilon = 1e-3)]
                private readonly Linear fc2 = Linear(8, 8, hasBias: false);
                private readonly Linear fc3 = Linear(8, 2);
            }
            """);
        // One fix per diagnostic, or all of them in one step (the light bulb's "Fix all in document/project/solution").
        test.NumberOfIncrementalIterations = 3;
        test.NumberOfFixAllIterations = 1;
        await test.VerifyAsync();
    }

    [Fact]
    public async Task BNG0008_creates_each_layer_before_a_site_without_a_bias()
    {
        var test = new CodeFixTest<RemoveBiasCodeFix>(
            """
            [BatchNormalized]
            public sealed partial class Net : BatchNormalizedModule
            {
                private readonly Conv2d {|BNG0008:conv|} = Conv2d(1, 4, 3, padding: 1);
                private readonly Flatten flatten = Flatten();
                private readonly Linear {|BNG0008:fc1|} = Linear(4 * 28 * 28, 8, hasBias: true);
                private readonly Linear fc2 = Linear(8, 2);
            }
            """,
            """
            [BatchNormalized]
            public sealed partial class Net : BatchNormalizedModule
            {
                private readonly Conv2d conv = Conv2d(1, 4, 3, padding: 1, bias: false);
                private readonly Flatten flatten = Flatten();
                private readonly Linear fc1 = Linear(4 * 28 * 28, 8, hasBias: false);
                private readonly Linear fc2 = Linear(8, 2);
            }
            """);
        test.NumberOfIncrementalIterations = 2;
        test.NumberOfFixAllIterations = 1;
        await test.VerifyAsync();
    }

    [Fact]
    public async Task BNG0018_moves_InitializeBatchNorm_after_every_layer_once_for_several_layers()
    {
        var test = new CodeFixTest<MoveInitializeBatchNormCodeFix>(
            """
            [BatchNormalized]
            public sealed partial class Net : BatchNormalizedModule
            {
                private readonly Linear fc1;
                private readonly Linear fc2;
                private readonly Linear fc3;

                public Net() : base(nameof(Net))
                {
                    InitializeBatchNorm();
                    {|BNG0018:fc1 = Linear(4, 8, hasBias: false)|};
                    {|BNG0018:fc2 = Linear(8, 8, hasBias: false)|};
                    {|BNG0018:fc3 = Linear(8, 2)|};
                }
            }
            """,
            """
            [BatchNormalized]
            public sealed partial class Net : BatchNormalizedModule
            {
                private readonly Linear fc1;
                private readonly Linear fc2;
                private readonly Linear fc3;

                public Net() : base(nameof(Net))
                {
                    fc1 = Linear(4, 8, hasBias: false);
                    fc2 = Linear(8, 8, hasBias: false);
                    fc3 = Linear(8, 2);
                    InitializeBatchNorm();
                }
            }
            """);
        // One application moves the call past every layer: the other diagnostics are gone with it.
        test.NumberOfIncrementalIterations = 1;
        test.NumberOfFixAllIterations = 1;
        await test.VerifyAsync();
    }

    [Fact]
    public void The_fixes_cover_exactly_the_diagnostics_the_analyzer_reports()
    {
        var fixers = new CodeFixProvider[] { new MakePartialCodeFix(), new RemoveBiasCodeFix(), new CallInitializeBatchNormCodeFix(), new MoveInitializeBatchNormCodeFix(), new PyTorchMomentumCodeFix() };
        var fixedIds = fixers.SelectMany(f => f.FixableDiagnosticIds).OrderBy(id => id).ToList();

        Assert.Equal(DiagnosticDescriptors.ReportedByAnalyzer.OrderBy(id => id), fixedIds);
        Assert.Equal(DiagnosticDescriptors.ReportedByAnalyzer.OrderBy(id => id), new BatchNormalizedAnalyzer().SupportedDiagnostics.Select(d => d.Id).OrderBy(id => id));
        Assert.All(fixers, f => Assert.NotNull(f.GetFixAllProvider()));
    }
}
