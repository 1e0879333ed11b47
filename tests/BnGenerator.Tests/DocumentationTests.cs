using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace BnGen.Generator.Tests;

/// <summary>
/// The documentation stays true to the repository: every relative link in README.md, docs/ and the projects' READMEs
/// leads to a file that exists (and to a heading that exists, for a #fragment); the README stays a front door of at
/// most 250 lines; and the generated code it shows is the generator's real output.
/// </summary>
public sealed partial class DocumentationTests
{
    private static readonly string Root = Repository.Root;

    public static TheoryData<string> Pages()
    {
        var pages = new TheoryData<string>();
        foreach (string page in MarkdownPages())
            pages.Add(Path.GetRelativePath(Root, page));
        return pages;
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_relative_link_resolves(string page)
    {
        string path = Path.Combine(Root, page);
        var broken = new List<string>();
        foreach (Match link in Link().Matches(File.ReadAllText(path)))
        {
            string target = link.Groups["target"].Value;
            if (target.Contains("://", StringComparison.Ordinal) || target.StartsWith("mailto:", StringComparison.Ordinal))
                continue;
            string file = target.Split('#')[0];
            string? fragment = target.Contains('#') ? target[(target.IndexOf('#') + 1)..] : null;
            string resolved = file.Length == 0 ? path : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, Uri.UnescapeDataString(file)));
            if (!File.Exists(resolved) && !Directory.Exists(resolved))
                broken.Add($"{target}: no such file");
            else if (fragment is not null && resolved.EndsWith(".md", StringComparison.Ordinal) && !Anchors(resolved).Contains(fragment))
                broken.Add($"{target}: no heading '#{fragment}' in {Path.GetRelativePath(Root, resolved)}");
        }

        Assert.True(broken.Count == 0, $"{page}: {string.Join("; ", broken)}");
    }

    [Fact]
    public void The_readme_is_a_front_door_of_at_most_250_lines()
    {
        int lines = File.ReadAllLines(Path.Combine(Root, "README.md")).Length;
        Assert.True(lines <= 250, $"README.md has {lines} lines; move detail into docs/ and link to it");
    }

    [Fact]
    public void The_generated_code_the_readme_shows_is_the_snapshot()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var block = Regex.Match(readme, "```csharp\n(partial class SimpleNetBN\n.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "README.md shows no generated SimpleNetBN");
        var snapshot = File.ReadAllLines(Path.Combine(Root, "tests", "BnGenerator.Tests", "Snapshots", "Dense.verified.cs"))
            .Where(l => !l.Contains("///", StringComparison.Ordinal) && !l.Contains("GeneratedCode", StringComparison.Ordinal));

        Assert.Equal(Code(snapshot.SkipWhile(l => !l.StartsWith("partial class", StringComparison.Ordinal))), Code(block.Groups[1].Value.Split('\n')));
    }

    [Fact]
    public void The_quick_start_compiles_with_the_network_it_declares()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var blocks = Regex.Matches(readme, "```csharp\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).ToList();
        string network = blocks.Single(b => b.Contains("[BatchNormalized]", StringComparison.Ordinal));
        string quickStart = blocks.Single(b => b.Contains("FuseBatchNorm();", StringComparison.Ordinal) && b.Contains("LoadPyTorch", StringComparison.Ordinal));
        // The README leaves the data to the reader: a loop's batches and a test batch.
        string program = "using BnGen.PyTorch;\n" + network + """

            public static class QuickStart
            {
                public static void Run(System.Collections.Generic.IEnumerable<(Tensor images, Tensor labels)> batches, Tensor testImages)
                {
            """ + quickStart + """
                }
            }
            """;

        var run = Infrastructure.GeneratorHarness.Run(new[] { program }, typeof(BnGen.PyTorch.PyTorchCheckpoint).Assembly.Location);

        Infrastructure.GeneratorHarness.AssertNone(run.Diagnostics.Where(d => d.Severity >= Microsoft.CodeAnalysis.DiagnosticSeverity.Warning));
        Infrastructure.GeneratorHarness.AssertNone(Infrastructure.GeneratorHarness.CompileErrorsAndWarnings(run.Output));
    }

    [Fact]
    public void The_fine_tuning_walk_through_compiles_and_runs()
    {
        string page = File.ReadAllText(Path.Combine(Root, "docs", "fine-tuning.md"));
        string code = Regex.Match(page, "```csharp\n(.*?)```", RegexOptions.Singleline).Groups[1].Value;
        string program = """
            using System;
            using System.Collections.Generic;
            using System.Linq;
            using BnGen;
            using BnGen.PyTorch;
            using BnGen.TestSupport.ResNet;
            using TorchSharp;
            using static TorchSharp.torch;

            public static class Walkthrough
            {
                public static void Run(string checkpoint, IReadOnlyList<(Tensor images, Tensor labels)> batches, string deployed)
                {
            """ + code + """
                }
            }
            """;
        var run = Infrastructure.GeneratorHarness.Run(new[] { program },
            typeof(BnGen.PyTorch.PyTorchCheckpoint).Assembly.Location, typeof(BnGen.TestSupport.ResNet.ResNet18BN).Assembly.Location);
        Infrastructure.GeneratorHarness.AssertNone(Infrastructure.GeneratorHarness.CompileErrorsAndWarnings(run.Output));

        using var image = new MemoryStream();
        var emitted = run.Output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        var walkthrough = System.Reflection.Assembly.Load(image.ToArray()).GetType("Walkthrough")!;

        using var scope = TorchSharp.torch.NewDisposeScope();
        string folder = Directory.CreateTempSubdirectory("bngen-walkthrough-").FullName;
        try
        {
            // A "PyTorch checkpoint" of the right keys, and two small batches of 32x32 images.
            string checkpoint = Path.Combine(folder, "resnet18.pt");
            string deployed = Path.Combine(folder, "deployed.pt");
            using (var pretrained = new BnGen.TestSupport.ResNet.ResNet18BN())
                BnGen.PyTorch.PyTorchCheckpoint.SavePyTorch(pretrained, checkpoint);
            var batches = new List<(TorchSharp.torch.Tensor, TorchSharp.torch.Tensor)>
            {
                (TorchSharp.torch.randn(4, 3, 32, 32), TorchSharp.torch.randint(0, 1000, 4)),
                (TorchSharp.torch.randn(6, 3, 32, 32), TorchSharp.torch.randint(0, 1000, 6)),
            };

            walkthrough.GetMethod("Run")!.Invoke(null, new object[] { checkpoint, batches, deployed });

            using var fused = new BnGen.TestSupport.ResNet.ResNet18BN();
            fused.eval();
            fused.FuseBatchNorm();
            BnGen.PyTorch.PyTorchCheckpoint.LoadPyTorch(fused, deployed);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The non-blank lines: the README may space the code as it likes.</summary>
    private static string Code(IEnumerable<string> lines) => string.Join("\n", lines.Select(l => l.TrimEnd()).Where(l => l.Length > 0));

    /// <summary>README.md, docs/*.md and every project's README.md, outside build output.</summary>
    private static IEnumerable<string> MarkdownPages() =>
        new[] { Path.Combine(Root, "README.md") }
            .Concat(Directory.GetFiles(Path.Combine(Root, "docs"), "*.md"))
            .Concat(new[] { "src", "tests", "benchmarks" }.SelectMany(d => Directory.GetFiles(Path.Combine(Root, d), "README.md", SearchOption.AllDirectories)))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces to hyphens.</summary>
    private static HashSet<string> Anchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        bool inCode = false;
        foreach (string line in File.ReadLines(markdown))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
                inCode = !inCode;
            if (inCode || !line.StartsWith('#'))
                continue;
            string title = line.TrimStart('#').Trim().ToLowerInvariant();
            var slug = new StringBuilder();
            foreach (char c in title)
            {
                if (char.IsLetterOrDigit(c) || c is '-' or '_')
                    slug.Append(c);
                else if (c == ' ')
                    slug.Append('-');
            }

            anchors.Add(slug.ToString());
        }

        return anchors;
    }

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();
}
