using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace BnGen.Package.Tests;

/// <summary>Packs BnGen and uses it from a project outside the repository, as a user would.</summary>
public sealed class PackageConsumerTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("bngen-package-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BnGen.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("BnGen.sln not found above " + AppContext.BaseDirectory);
    }

    private static string Dotnet(string arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        // The outer `dotnet test` sets MSBuild variables that would leak into the inner builds.
        foreach (var key in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "DOTNET_HOST_PATH" })
            start.Environment.Remove(key);
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {arguments} did not finish in 8 minutes:\n{output}");
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet {arguments} exited with {process.ExitCode}:\n{output}");
        return output.ToString();
    }

    [Fact]
    public void The_other_packages_are_publishable_too()
    {
        string root = RepositoryRoot();
        string feed = Path.Combine(_work, "feed");
        string version = "0.1.0-e2e." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (project, id) in new[] { ("BnGen.PyTorch", "BnGen.PyTorch"), ("BnGen.Mpi", "BnGen.Mpi") })
        {
            Dotnet($"pack \"{Path.Combine(root, "src", project)}\" -c Release -o \"{feed}\" -p:Version={version} -p:ContinuousIntegrationBuild=true", root);
            AssertPublishable(root, feed, version, project, id, $"lib/net10.0/{id}.pdb");
        }
    }

    /// <summary>
    /// The code fixes ship beside the generator, and each is a code-fix provider the IDE can find: exported with
    /// [ExportCodeFixProvider] (read from the assembly's metadata; loading it would need the IDE's Roslyn).
    /// </summary>
    private static void AssertCodeFixes(ZipArchiveEntry? entry)
    {
        Assert.True(entry is not null, "the package has no analyzers/dotnet/cs/BnGen.CodeFixes.dll");
        using var bytes = new MemoryStream();
        using (var stream = entry!.Open())
            stream.CopyTo(bytes);
        bytes.Position = 0;
        using var pe = new System.Reflection.PortableExecutable.PEReader(bytes);
        var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
        var exported = new List<string>();
        foreach (var handle in metadata.TypeDefinitions)
        {
            var type = metadata.GetTypeDefinition(handle);
            foreach (var attributeHandle in type.GetCustomAttributes())
            {
                var constructor = metadata.GetCustomAttribute(attributeHandle).Constructor;
                if (constructor.Kind == System.Reflection.Metadata.HandleKind.MemberReference
                    && metadata.GetMemberReference((System.Reflection.Metadata.MemberReferenceHandle)constructor).Parent is { Kind: System.Reflection.Metadata.HandleKind.TypeReference } parent
                    && metadata.GetString(metadata.GetTypeReference((System.Reflection.Metadata.TypeReferenceHandle)parent).Name) == "ExportCodeFixProviderAttribute")
                    exported.Add(metadata.GetString(type.Name));
            }
        }

        Assert.Equal(new[] { "CallInitializeBatchNormCodeFix", "MakePartialCodeFix", "MoveInitializeBatchNormCodeFix", "PyTorchMomentumCodeFix", "RemoveBiasCodeFix" }, exported.Order());
    }

    /// <summary>
    /// What a maintainer checks before publishing: a short README of the package's own (not the repository's), a
    /// symbols package with the PDB, and a reproducible pack — packing the same commit again gives the same bytes.
    /// </summary>
    private void AssertPublishable(string root, string feed, string version, string project, string id, string pdb)
    {
        string package = Path.Combine(feed, $"{id}.{version}.nupkg");
        using (var zip = ZipFile.OpenRead(package))
        {
            var readme = zip.GetEntry("README.md");
            Assert.True(readme is not null, $"{id} has no README.md");
            using var reader = new StreamReader(readme!.Open());
            string text = reader.ReadToEnd();
            Assert.StartsWith("# " + id, text);
            Assert.True(text.Split('\n').Length < 60, $"{id}'s README has {text.Split('\n').Length} lines: a package page wants a short one");
            Assert.Contains("<readme>README.md</readme>", new StreamReader(zip.GetEntry($"{id}.nuspec")!.Open()).ReadToEnd());
        }

        using (var symbols = ZipFile.OpenRead(Path.ChangeExtension(package, ".snupkg")))
            Assert.Contains(pdb, symbols.Entries.Select(e => e.FullName));

        string again = Path.Combine(_work, "again-" + id);
        Dotnet($"pack \"{Path.Combine(root, "src", project)}\" -c Release -o \"{again}\" -p:Version={version} -p:ContinuousIntegrationBuild=true", root);
        Assert.True(File.ReadAllBytes(package).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(again, Path.GetFileName(package)))), $"packing {id} twice gave different bytes");
    }

    [Fact]
    public void The_packed_library_generates_and_runs_in_a_consumer_project()
    {
        string root = RepositoryRoot();
        string feed = Path.Combine(_work, "feed");
        // A version no earlier run used, so the global package cache cannot hand back a stale copy.
        string version = "0.1.0-e2e." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);

        Dotnet($"pack \"{Path.Combine(root, "src", "BnRuntime")}\" -c Release -o \"{feed}\" -p:Version={version} -p:ContinuousIntegrationBuild=true", root);

        string package = Path.Combine(feed, $"BnGen.{version}.nupkg");
        using (var zip = ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains("analyzers/dotnet/cs/BnGenerator.dll", entries);
            AssertCodeFixes(zip.GetEntry("analyzers/dotnet/cs/BnGen.CodeFixes.dll"));
            Assert.Contains("buildTransitive/BnGen.targets", entries);
            // The compatibility step is a compiled task, not source that every consumer build compiles.
            Assert.Contains("tasks/netstandard2.0/BnGen.Build.dll", entries);
            Assert.DoesNotContain(entries, e => e.EndsWith(".cs", StringComparison.Ordinal));
            Assert.Contains("lib/net10.0/BnRuntime.dll", entries);
            Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.EndsWith("BnGenerator.dll", StringComparison.Ordinal));
        }

        AssertPublishable(root, feed, version, "BnRuntime", "BnGen", "lib/net10.0/BnRuntime.pdb");

        string consumer = Path.Combine(_work, "consumer");
        Directory.CreateDirectory(consumer);
        string template = Path.Combine(AppContext.BaseDirectory, "Consumer");
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), File.ReadAllText(Path.Combine(template, "Consumer.csproj.template")).Replace("@BNGEN_VERSION@", version));
        File.Copy(Path.Combine(template, "Program.cs"), Path.Combine(consumer, "Program.cs"));
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="bngen-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        // Keep the repository's Directory.Build.* and central package versions out of the consumer.
        File.WriteAllText(Path.Combine(_work, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(_work, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(_work, "Directory.Packages.props"), "<Project />");

        string output = Dotnet("run -c Release", consumer);

        Assert.Contains("keys: fc1_bn.bias,fc1_bn.num_batches_tracked,fc1_bn.running_mean,fc1_bn.running_var,fc1_bn.weight", output);
        Assert.Contains("batches: 3", output);
        Assert.Contains("fused difference below 1e-5: True", output);
    }
}
