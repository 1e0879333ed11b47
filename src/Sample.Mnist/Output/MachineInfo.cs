using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace BnGen.Sample.Mnist.Output;

/// <summary>
/// What a figure depends on besides the code: libtorch picks its CPU kernels by instruction set, and sums in another
/// order with another thread count, so the same commit gives different accuracies on different machines.
/// </summary>
public sealed record MachineInfo(string Cpu, string Kernels, int Threads, string TorchSharp, string LibTorch, string DotNet, string Os)
{
    public static MachineInfo Current(int threads) => new(
        CpuModel(),
        KernelsOfThisCpu(),
        threads,
        typeof(global::TorchSharp.torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
        global::TorchSharp.torch.__version__,
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription);

    /// <summary>One line for a log or a README table.</summary>
    public override string ToString() => $"{Cpu}, {Kernels} kernels, {Threads} thread{(Threads == 1 ? "" : "s")}, TorchSharp {TorchSharp} (libtorch {LibTorch}), {DotNet}";

    private static string CpuModel() =>
        CpuInfo().FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
        ?? RuntimeInformation.ProcessArchitecture.ToString();

    /// <summary>
    /// The kernels libtorch's dispatcher chooses on x86-64: AVX512 when the CPU has AVX-512 F, BW, VL and DQ, else AVX2
    /// with FMA, else the default ones; the ATEN_CPU_CAPABILITY environment variable overrides the choice.
    /// </summary>
    private static string KernelsOfThisCpu()
    {
        if (Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY") is { Length: > 0 } forced)
            return $"{forced.ToUpperInvariant()} (ATEN_CPU_CAPABILITY)";
        var flags = CpuInfo().FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? Array.Empty<string>();
        if (new[] { "avx512f", "avx512bw", "avx512vl", "avx512dq" }.All(flags.Contains))
            return "AVX512";
        if (flags.Contains("avx2") && flags.Contains("fma"))
            return "AVX2";
        return RuntimeInformation.ProcessArchitecture == Architecture.X64 ? "DEFAULT" : RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static string[] CpuInfo()
    {
        try
        {
            return File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").Take(64).ToArray() : Array.Empty<string>();
        }
        catch (IOException)
        {
            return Array.Empty<string>();
        }
    }
}
