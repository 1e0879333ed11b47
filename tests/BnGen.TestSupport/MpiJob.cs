using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using Xunit.Sdk;

namespace BnGen.TestSupport;

/// <summary>Starts a program (BnGen.Mpi.Worker, the sample) under MPICH's <c>mpirun</c> and collects what it printed and how long it took.</summary>
public static class MpiJob
{
    /// <param name="Output">The launcher's own output, then each rank's output and error streams in rank order
    /// (captured per rank by the launcher, so lines from different ranks never interleave).</param>
    public sealed record Result(int ExitCode, string Output, TimeSpan Elapsed);

    public static string Launcher { get; } = FindLauncher();

    /// <summary>Runs <paramref name="assembly"/> with <c>dotnet</c> in <paramref name="processes"/> ranks.</summary>
    /// <exception cref="XunitException">The job did not finish within <paramref name="limit"/> (it is killed).</exception>
    public static Result Run(int processes, string assembly, IEnumerable<string> workerArguments, TimeSpan limit, IDictionary<string, string>? environment = null, IEnumerable<string>? launcherOptions = null)
    {
        if (!File.Exists(assembly))
            throw new XunitException($"{assembly} was not built");
        var start = new ProcessStartInfo(Launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string streams = Directory.CreateTempSubdirectory("bngen-mpirun-").FullName;
        foreach (var option in launcherOptions ?? [])
            start.ArgumentList.Add(option);
        start.ArgumentList.Add("-outfile-pattern");
        start.ArgumentList.Add(Path.Combine(streams, "rank%r.out"));
        start.ArgumentList.Add("-errfile-pattern");
        start.ArgumentList.Add(Path.Combine(streams, "rank%r.err"));
        start.ArgumentList.Add("-np");
        start.ArgumentList.Add(processes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(assembly);
        foreach (var argument in workerArguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new XunitException($"mpirun -np {processes} did not finish within {limit.TotalSeconds} s; output so far:\n{output}");
        }

        process.WaitForExit();
        var elapsed = clock.Elapsed;
        for (int rank = 0; rank < processes; rank++)
        {
            foreach (string stream in new[] { "out", "err" })
            {
                string file = Path.Combine(streams, $"rank{rank}.{stream}");
                if (File.Exists(file))
                    output.AppendLine($"--- rank {rank} std{stream} ---").Append(File.ReadAllText(file));
            }
        }

        Directory.Delete(streams, recursive: true);
        return new Result(process.ExitCode, output.ToString(), elapsed);
    }

    private static string FindLauncher()
    {
        // MPICH's launcher under Debian's name first: a plain "mpirun" may be Open MPI's, whose ABI BnGen.Mpi cannot drive.
        foreach (string name in new[] { "mpirun.mpich", "mpiexec.mpich", "mpiexec.hydra" })
        {
            foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                string candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                    return candidate;
            }
        }

        throw new XunitException("MPICH's mpirun was not found (apt-get install mpich libmpich-dev; .ci/run does this).");
    }
}
