using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.Json;

namespace BnGen.PyTorch.Tests.Untrusted;

/// <summary>Runs tests/BnGen.LoadProbe on one file in a process of its own and reads its report.</summary>
internal static class LoadProbe
{
    /// <summary>What the probe reported: how the load ended, whether the network is bit-identical, time and peak memory.</summary>
    public sealed record Report(string Outcome, string? Exception, string? Message, bool Unchanged, double Milliseconds, double PeakMegabytes);

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    public static Report Run(string mode, string file)
    {
        string probe = typeof(LoadProbe).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BnGen.LoadProbe").Value!;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(probe);
        start.ArgumentList.Add(mode);
        start.ArgumentList.Add(file);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"The probe loading {Path.GetFileName(file)} ({mode}) did not end within {Limit.TotalSeconds} s.");
        }

        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"The probe loading {Path.GetFileName(file)} ({mode}) died with exit code {process.ExitCode} (134 = SIGABRT, 139 = SIGSEGV): {error.Result}");
        return JsonSerializer.Deserialize<Report>(output.Result.Trim(), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
    }
}
