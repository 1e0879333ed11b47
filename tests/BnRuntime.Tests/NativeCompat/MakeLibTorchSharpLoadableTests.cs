using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BnGen.Build;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BnGen.Tests.NativeCompat;

/// <summary>The MSBuild task as the build runs it, on files in a temporary folder.</summary>
public sealed class MakeLibTorchSharpLoadableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bngen-elf-").FullName;
    private readonly RecordingBuildEngine _engine = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] NeedsGlibcxx32() =>
        SyntheticElf.WithNeeds(("libstdc++.so.6", new[] { "GLIBCXX_3.4.30", "GLIBCXX_3.4.32" }));

    private MakeLibTorchSharpLoadable Task(string mode, string host, params string[] files) => new()
    {
        BuildEngine = _engine,
        Mode = mode,
        HostLibStdCxxPath = host,
        Files = files.Select(f => (ITaskItem)new TaskItem(f)).ToArray(),
    };

    [Fact]
    public void Auto_patches_when_the_host_lacks_the_version()
    {
        string host = Write("old-libstdc++.so.6", SyntheticElf.WithDefinitions("GLIBCXX_3.4", "GLIBCXX_3.4.30"));
        string lib = Write("libLibTorchSharp.so", NeedsGlibcxx32());

        Assert.True(Task("auto", host, lib).Execute());

        Assert.Equal(2, ElfVersionNeeds.ListNeeds(File.ReadAllBytes(lib)).Single(n => n.Version == "GLIBCXX_3.4.32").Flags);
        Assert.Empty(_engine.Errors);
    }

    [Fact]
    public void Auto_leaves_the_file_alone_when_the_host_has_the_version()
    {
        string host = Write("new-libstdc++.so.6", SyntheticElf.WithDefinitions("GLIBCXX_3.4", "GLIBCXX_3.4.30", "GLIBCXX_3.4.32"));
        byte[] original = NeedsGlibcxx32();
        string lib = Write("libLibTorchSharp.so", original);

        Assert.True(Task("auto", host, lib).Execute());

        Assert.Equal(original, File.ReadAllBytes(lib));
    }

    [Fact]
    public void Off_changes_nothing_and_always_patches_regardless_of_the_host()
    {
        string host = Write("new-libstdc++.so.6", SyntheticElf.WithDefinitions("GLIBCXX_3.4.32"));
        byte[] original = NeedsGlibcxx32();
        string offLib = Write("off.so", original);
        string alwaysLib = Write("always.so", original);

        Assert.True(Task("off", host, offLib).Execute());
        Assert.True(Task("always", host, alwaysLib).Execute());

        Assert.Equal(original, File.ReadAllBytes(offLib));
        Assert.NotEqual(original, File.ReadAllBytes(alwaysLib));
    }

    [Fact]
    public void Running_twice_gives_the_same_bytes()
    {
        string host = Write("old-libstdc++.so.6", SyntheticElf.WithDefinitions("GLIBCXX_3.4.30"));
        string lib = Write("libLibTorchSharp.so", NeedsGlibcxx32());

        Assert.True(Task("auto", host, lib).Execute());
        byte[] once = File.ReadAllBytes(lib);
        Assert.True(Task("auto", host, lib).Execute());

        Assert.Equal(once, File.ReadAllBytes(lib));
    }

    [Fact]
    public void A_hard_linked_copy_is_replaced_and_its_source_is_never_written()
    {
        string host = Write("old-libstdc++.so.6", SyntheticElf.WithDefinitions("GLIBCXX_3.4.30"));
        byte[] original = NeedsGlibcxx32();
        string cache = Write("cache-libLibTorchSharp.so", original);
        string output = Path.Combine(_dir, "libLibTorchSharp.so");
        if (!HardLink.TryCreate(output, cache))
            File.Copy(cache, output);

        Assert.True(Task("auto", host, output).Execute());

        Assert.Equal(original, File.ReadAllBytes(cache));
        Assert.NotEqual(original, File.ReadAllBytes(output));
    }

    [Fact]
    public void A_truncated_library_fails_the_build_with_the_file_named()
    {
        string host = Write("old-libstdc++.so.6", SyntheticElf.WithDefinitions("GLIBCXX_3.4.30"));
        byte[] full = NeedsGlibcxx32();
        string lib = Write("libLibTorchSharp.so", full.AsSpan(0, full.Length - 10).ToArray());

        Assert.False(Task("auto", host, lib).Execute());

        string error = Assert.Single(_engine.Errors);
        Assert.Contains(lib, error);
        Assert.Contains("truncated", error);
    }

    [Fact]
    public void An_unknown_mode_is_an_error_that_names_the_property()
    {
        string lib = Write("libLibTorchSharp.so", NeedsGlibcxx32());

        Assert.False(Task("sometimes", "/nonexistent", lib).Execute());

        Assert.Contains("BnGenLibTorchSharpCompat", Assert.Single(_engine.Errors));
    }

    private sealed class RecordingBuildEngine : IBuildEngine
    {
        public List<string> Errors { get; } = new();
        public bool ContinueOnError => false;
        public int LineNumberOfTaskNode => 0;
        public int ColumnNumberOfTaskNode => 0;
        public string ProjectFileOfTaskNode => "test.proj";
        public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e.Message ?? "");
        public void LogWarningEvent(BuildWarningEventArgs e) { }
        public void LogMessageEvent(BuildMessageEventArgs e) { }
        public void LogCustomEvent(CustomBuildEventArgs e) { }
        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) => false;
    }
}
