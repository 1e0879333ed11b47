using System;
using System.IO;
using System.Linq;

namespace BnGen.Benchmarks;

/// <summary>The line every interleaved benchmark prints first: libtorch picks kernels by instruction set, so a figure
/// means little without the CPU it was measured on.</summary>
internal static class Machine
{
    public static string Describe()
    {
        string[] cpuInfo = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").Take(64).ToArray() : [];
        string model = cpuInfo.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        bool avx512 = cpuInfo.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Contains(" avx512f", StringComparison.Ordinal) ?? false;
        return $"{model}{(avx512 ? " (AVX-512)" : "")}, {Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, libtorch {TorchSharp.torch.__version__}";
    }
}
