using System;
using System.IO;
using System.Linq;
using BnGen.Build;
using static TorchSharp.torch;

namespace BnGen.Tests.NativeCompat;

/// <summary>The real libLibTorchSharp.so: as shipped in the NuGet cache, and as the build left it in this test's output.</summary>
public sealed class ShippedLibTorchSharpTests
{
    private static string? CachedLibrary()
    {
        string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        return File.Exists(path) ? path : null;
    }

    [Fact]
    public void The_shipped_library_needs_exactly_one_version_newer_than_debian_12_has_and_patching_changes_one_byte()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string? cached = CachedLibrary();
        Assert.True(cached is not null, "TorchSharp 0.107.0 is restored, so its linux-x64 library is in the NuGet cache");
        byte[] original = File.ReadAllBytes(cached!);

        var stdcxxNeeds = ElfVersionNeeds.ListNeeds(original).Where(n => n.Library == "libstdc++.so.6").ToList();
        Assert.Contains(stdcxxNeeds, n => n.Version == "GLIBCXX_3.4.32" && n.Flags == 0);

        byte[] patched = (byte[])original.Clone();
        Assert.Equal(WeakMarkResult.Marked, ElfVersionNeeds.MarkWeak(patched, "libstdc++.so.6", "GLIBCXX_3.4.32"));
        Assert.Equal(1, Enumerable.Range(0, original.Length).Count(i => original[i] != patched[i]));
    }

    [Fact]
    public void The_build_left_the_nuget_cache_untouched()
    {
        string? cached = CachedLibrary();
        if (cached is null)
            return;

        var need = ElfVersionNeeds.ListNeeds(File.ReadAllBytes(cached)).Single(n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal(0, need.Flags);
    }

    [Fact]
    public void The_build_output_copy_is_patched_exactly_when_this_host_lacks_the_version()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string? output = new[] { "libLibTorchSharp.so", "runtimes/linux-x64/native/libLibTorchSharp.so" }
            .Select(p => Path.Combine(AppContext.BaseDirectory, p)).FirstOrDefault(File.Exists);
        Assert.True(output is not null, "the test output holds TorchSharp's native library");
        string? host = HostLibStdCxx.Locate();
        Assert.True(host is not null, "this Linux host has a libstdc++.so.6");

        bool hostHasIt = HostLibStdCxx.Defines(host!, "GLIBCXX_3.4.32");
        var need = ElfVersionNeeds.ListNeeds(File.ReadAllBytes(output!)).Single(n => n.Version == "GLIBCXX_3.4.32");

        Assert.Equal(hostHasIt ? 0 : 2, need.Flags);
    }

    [Fact]
    public void TorchSharp_computes_here_batch_norm_of_random_data_matches_a_hand_computation()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var x = randn(16, 3, dtype: float64);
        using var bn = nn.BatchNorm1d(3, dtype: float64);
        bn.train();

        var y = bn.forward(x);

        double[] values = x.data<double>().ToArray();
        double[] expected = new double[values.Length];
        for (int c = 0; c < 3; c++)
        {
            double mean = Enumerable.Range(0, 16).Average(n => values[n * 3 + c]);
            double variance = Enumerable.Range(0, 16).Average(n => Math.Pow(values[n * 3 + c] - mean, 2));
            for (int n = 0; n < 16; n++)
                expected[n * 3 + c] = (values[n * 3 + c] - mean) / Math.Sqrt(variance + 1e-5);
        }

        double[] actual = y.data<double>().ToArray();
        for (int i = 0; i < actual.Length; i++)
            Assert.Equal(expected[i], actual[i], 1e-12);
    }
}
