using System;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Xunit.Sdk;

namespace BnGen.Generator.Tests.Infrastructure;

/// <summary>
/// Checked-in snapshots of generated code, laid out like Verify's (<c>Snapshots/Name.verified.cs</c>).
/// A mismatch writes <c>Name.received.cs</c> beside it and fails with a line diff; set
/// BNGEN_ACCEPT_SNAPSHOTS=1 or build with -p:AcceptSnapshots=true to accept the new output.
/// </summary>
internal static partial class Snapshot
{
    public static void Match(string name, string actual, [CallerFilePath] string callerPath = "")
    {
        string directory = Path.Combine(FindProjectDirectory(callerPath), "Snapshots");
        string verified = Path.Combine(directory, name + ".verified.cs");
        string received = Path.Combine(directory, name + ".received.cs");
        string normalized = Scrub(actual);

        if (Accepting())
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(verified, normalized);
            File.Delete(received);
            return;
        }

        string expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : "";
        if (expected == normalized)
        {
            File.Delete(received);
            return;
        }

        File.WriteAllText(received, normalized);
        throw new XunitException(
            (File.Exists(verified) ? $"Generated code differs from {verified}:\n" : $"No snapshot yet at {verified}; the output is:\n")
            + Diff(expected, normalized)
            + $"\nThe new output is in {received}. Accept it with BNGEN_ACCEPT_SNAPSHOTS=1 or -p:AcceptSnapshots=true.");
    }

    /// <summary>Removes what changes from build to build: the generator's version.</summary>
    public static string Scrub(string text) => VersionPattern().Replace(text.Replace("\r\n", "\n"), "GeneratedCode(\"BnGen\", \"{version}\")");

    private static bool Accepting() =>
        Environment.GetEnvironmentVariable("BNGEN_ACCEPT_SNAPSHOTS") == "1"
        || System.Linq.Enumerable.Any(
            typeof(Snapshot).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>(),
            a => a.Key == "AcceptSnapshots" && a.Value == "true");

    private static string Diff(string expected, string actual)
    {
        var diff = InlineDiffBuilder.Diff(expected, actual);
        var text = new StringBuilder();
        foreach (var line in diff.Lines)
        {
            string prefix = line.Type switch
            {
                ChangeType.Inserted => "+ ",
                ChangeType.Deleted => "- ",
                _ => "  ",
            };
            if (line.Type != ChangeType.Unchanged)
                text.Append(prefix).Append(line.Text).Append('\n');
        }

        return text.ToString();
    }

    private static string FindProjectDirectory(string callerPath)
    {
        for (var dir = new DirectoryInfo(Path.GetDirectoryName(callerPath)!); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BnGenerator.Tests.csproj")))
                return dir.FullName;
        }

        throw new InvalidOperationException($"Cannot find BnGenerator.Tests.csproj above {callerPath}.");
    }

    [GeneratedRegex("GeneratedCode\\(\"BnGen\", \"[^\"]*\"\\)")]
    private static partial Regex VersionPattern();
}
