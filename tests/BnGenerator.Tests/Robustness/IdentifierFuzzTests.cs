using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using BnGen.Generator.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace BnGen.Generator.Tests.Robustness;

/// <summary>
/// Realistic networks mutated the way users change them: identifiers renamed to keywords (@class), names of
/// generated members and locals, unicode and very long names; classes split over files; layers moved into
/// properties or base classes; members added; plus a few token edits. The property: every mutated source that
/// compiles without the generator gets generated code that compiles, or a BNG error explains why not — and no
/// source makes the generator crash (CS8785, AD0001, BNG0099) or put an error in a generated file.
/// </summary>
public sealed class IdentifierFuzzTests
{
    private const int Sources = 10_000;

    private readonly Xunit.Abstractions.ITestOutputHelper _output;

    public IdentifierFuzzTests(Xunit.Abstractions.ITestOutputHelper output) => _output = output;

    private static readonly string[] Names =
    {
        "@class", "@event", "@int", "@namespace", "@base", "@this", "@params", "@out", "@var",
        "input", "x", "chain", "training", "train", "forward", "load", "skip", "source", "reader", "strict", "name", "children", "Advance", "previous", "next",
        "_batchNormFused", "InitializeBatchNorm", "FuseBatchNorm", "IsBatchNormFused", "register_module", "call",
        "fc1_bn", "conv1_bn", "bn1", "a", "a_bn", "_", "__", "Layer1", "layer",
        "Сеть", "层", "café", "δ", "naïve_bn",
        new string('w', 300), "L" + new string('0', 200) + "_bn",
    };

    private static readonly string[] ExtraMembers =
    {
        "bool _batchNormFused;",
        "public void FuseBatchNorm() { }",
        "public override void train(bool on = true) => base.train(on);",
        "private int count = 3;",
        "public static int Twice(int value) => value * 2;",
        "private readonly Parameter scale = new Parameter(ones(3));",
        "private readonly Tensor mask = ones(3);",
        "public Linear Head { get; } = Linear(2, 2);",
        "private Sequential extra = Sequential(Linear(2, 2));",
        "private readonly ModuleList<Module<Tensor, Tensor>> blocks = ModuleList<Module<Tensor, Tensor>>();",
        "private readonly Linear? maybe = null;",
        "public override Tensor forward(Tensor input) => input;",
    };

    [Fact]
    public void Ten_thousand_mutated_realistic_networks_compile_or_get_a_BNG_error()
    {
        var random = new Random(20261125);
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        int generated = 0, refused = 0, invalidInput = 0;
        for (int i = 0; i < Sources; i++)
        {
            string seed = RealisticNetworks.All[i % RealisticNetworks.All.Length];
            var files = Mutate(seed, random);
            switch (Check(files))
            {
                case Outcome.Generated: generated++; break;
                case Outcome.Refused: refused++; break;
                default: invalidInput++; break;
            }
        }

        _output.WriteLine($"{Sources} sources in {stopwatch.Elapsed.TotalSeconds:F1} s: {generated} generated and compiled, {refused} refused with a BNG error, {invalidInput} invalid C# without the generator");
        // The mutations must mostly produce valid C#, or the property is tested on too little.
        Assert.True(generated + refused >= Sources / 2, $"only {generated + refused} valid inputs");
        Assert.True(generated >= Sources / 5, $"only {generated} generated");
    }

    private enum Outcome
    {
        Generated,
        Refused,
        InvalidInput,
    }

    private static Outcome Check(string[] files)
    {
        var sources = files.Select(f => RealisticNetworks.Usings + f).ToArray();
        var compilation = GeneratorHarness.Compilation(sources);
        var driver = GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var driverDiagnostics);
        var result = driver.GetRunResult().Results.Single();
        // What the user sees: the generator's diagnostics and the analyzer's (which reports those with code fixes).
        var diagnostics = result.Diagnostics.AddRange(GeneratorHarness.AnalyzerDiagnostics(compilation));
        string Show() => string.Join("\n// ---- next file\n", sources);

        Assert.True(result.Exception is null, $"generator threw {result.Exception} on:\n{Show()}");
        var crash = driverDiagnostics.Concat(diagnostics).FirstOrDefault(d => d.Id is "CS8785" or "AD0001" or "BNG0099");
        Assert.True(crash is null, $"{crash} on:\n{Show()}");
        Assert.All(diagnostics, d => Assert.True(d.Location == Location.None || d.Location.Kind == LocationKind.SourceFile, $"{d} is not on user source"));

        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var inGenerated = errors.FirstOrDefault(e => e.Location.SourceTree is { } tree && !compilation.SyntaxTrees.Contains(tree));
        if (diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            Assert.True(inGenerated is null, $"{inGenerated} in generated code although a BNG error was reported, on:\n{Show()}");
            return Outcome.Refused;
        }

        if (errors.Count == 0)
            return result.GeneratedSources.IsEmpty ? Outcome.Refused : Outcome.Generated;

        // Errors with the generator: acceptable only if the user's code did not compile without it either,
        // apart from what the generated code supplies (forward, InitializeBatchNorm, the parameterless constructor).
        var baseline = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && !SuppliedByGenerator(d)).ToList();
        // (Code that is already wrong, e.g. two fields with one name, may also show up in generated code.)
        Assert.True(baseline.Count > 0,
            $"valid input, but with the generator: {string.Join("; ", errors.Take(5))}\non:\n{Show()}");
        return Outcome.InvalidInput;
    }

    private static bool SuppliedByGenerator(Diagnostic d) =>
        d.Id == "CS0534" // forward not implemented
        || (d.Id == "CS0103" && d.GetMessage().Contains("InitializeBatchNorm"))
        || (d.Id == "CS7036" && d.GetMessage().Contains(".Module(string)")); // the implicit constructor cannot call Module(name); the generated one does

    private static string[] Mutate(string seed, Random random)
    {
        var files = new List<string> { seed };
        int count = random.Next(1, 4);
        for (int m = 0; m < count; m++)
        {
            switch (random.Next(10))
            {
                case 0:
                case 1:
                case 2:
                    files[0] = RenameField(files[0], random);
                    break;
                case 3:
                    files[0] = RenameClass(files[0], random);
                    break;
                case 4:
                    files[0] = AddMember(files[0], random);
                    break;
                case 5:
                    files = Split(files[0], random);
                    break;
                case 6:
                    files[0] = FieldToProperty(files[0], random);
                    break;
                case 7:
                    files[0] = MoveFieldToBase(files[0], random);
                    break;
                case 8:
                    files[0] = Regex.Replace(files[0], @"namespace ([\w.]+)", "namespace " + Pick(random, "@namespace.x", "Demo.@class", "Модели", "A.B.C.D.E.F"));
                    break;
                default:
                    files[0] = TokenEdit(files[0], random);
                    break;
            }
        }

        return files.ToArray();
    }

    private static string Pick(Random random, params string[] options) => options[random.Next(options.Length)];

    private static List<VariableDeclaratorSyntax> Fields(string source) =>
        CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes().OfType<FieldDeclarationSyntax>()
            .Where(f => !f.Modifiers.Any(SyntaxKind.ConstKeyword))
            .SelectMany(f => f.Declaration.Variables).ToList();

    private static string RenameField(string source, Random random)
    {
        var fields = Fields(source);
        if (fields.Count == 0)
            return source;
        string old = fields[random.Next(fields.Count)].Identifier.ValueText;
        string replacement = Names[random.Next(Names.Length)];
        return Regex.Replace(source, $@"(?<![\w@""]){Regex.Escape(old)}(?![\w""])", replacement);
    }

    private static string RenameClass(string source, Random random)
    {
        var classes = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().ToList();
        if (classes.Count == 0)
            return source;
        string old = classes[random.Next(classes.Count)].Identifier.ValueText;
        string replacement = Pick(random, "@class", "Сеть", "Net_bn", "x", "input", "forward", new string('N', 250), "Модель");
        return Regex.Replace(source, $@"(?<![\w@]){Regex.Escape(old)}(?!\w)", replacement);
    }

    private static string AddMember(string source, Random random)
    {
        int declaration = source.IndexOf("partial class", StringComparison.Ordinal);
        int at = declaration < 0 ? -1 : source.IndexOf('{', declaration);
        return at < 0 ? source : source.Insert(at + 1, "\n    " + ExtraMembers[random.Next(ExtraMembers.Length)]);
    }

    /// <summary>Moves the tail of the first class's fields into a second partial declaration in a second file.</summary>
    private static List<string> Split(string source, Random random)
    {
        var root = CSharpSyntaxTree.ParseText(source).GetRoot();
        var type = root.DescendantNodes().OfType<ClassDeclarationSyntax>().FirstOrDefault(c => c.Modifiers.Any(SyntaxKind.PartialKeyword) && c.Members.OfType<FieldDeclarationSyntax>().Count() >= 2);
        if (type is null || type.Parent is not (BaseNamespaceDeclarationSyntax or CompilationUnitSyntax))
            return new List<string> { source };
        var fields = type.Members.OfType<FieldDeclarationSyntax>().ToList();
        var moved = fields.Skip(random.Next(1, fields.Count)).ToList();
        string first = root.RemoveNodes(moved, SyntaxRemoveOptions.KeepNoTrivia)!.ToFullString();
        string ns = type.Parent is BaseNamespaceDeclarationSyntax n ? $"namespace {n.Name};\n" : "";
        string second = $"{ns}{string.Join(" ", type.Modifiers.Where(m => !m.IsKind(SyntaxKind.SealedKeyword)).Select(m => m.Text))} class {type.Identifier.Text}\n{{\n{string.Concat(moved.Select(f => f.ToFullString()))}\n}}\n";
        return random.Next(2) == 0 ? new List<string> { first, second } : new List<string> { second, first };
    }

    private static string FieldToProperty(string source, Random random)
    {
        var matches = Regex.Matches(source, @"private readonly (\w+\??) (\w+) = ([^;]+);");
        if (matches.Count == 0)
            return source;
        var match = matches[random.Next(matches.Count)];
        return source.Remove(match.Index, match.Length).Insert(match.Index, $"private {match.Groups[1].Value} {match.Groups[2].Value} {{ get; }} = {match.Groups[3].Value};");
    }

    private static string MoveFieldToBase(string source, Random random)
    {
        var matches = Regex.Matches(source, @"private readonly (\w+) (\w+) = ([^;]+);");
        var declaration = Regex.Match(source, @"partial class (\w+) : Module<Tensor, Tensor>");
        if (matches.Count == 0 || !declaration.Success)
            return source;
        var match = matches[random.Next(matches.Count)];
        string baseName = declaration.Groups[1].Value + "Base";
        string withoutField = source.Remove(match.Index, match.Length);
        withoutField = withoutField.Replace(declaration.Value, $"partial class {declaration.Groups[1].Value} : {baseName}");
        return withoutField + $"\npublic abstract class {baseName} : Module<Tensor, Tensor> {{ protected {match.Groups[1].Value} {match.Groups[2].Value} = {match.Groups[3].Value}; protected {baseName}(string name) : base(name) {{ }} }}\n";
    }

    private static readonly string[] Fragments = { "partial ", "[BatchNorm] ", "[NoBatchNorm] ", "static ", "readonly ", "?", "@", "_bn", "\n#pragma warning disable BNG0008\n" };

    private static string TokenEdit(string source, Random random)
    {
        int at = random.Next(source.Length);
        return random.Next(2) == 0
            ? source.Insert(at, Fragments[random.Next(Fragments.Length)])
            : source.Remove(at, Math.Min(random.Next(1, 6), source.Length - at));
    }
}
