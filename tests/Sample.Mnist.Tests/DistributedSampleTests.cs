using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit.Abstractions;

namespace BnGen.Sample.Mnist.Tests;

/// <summary>
/// The sample's --distributed mode under mpirun -np 2 against the same command in one process, on synthetic IDX
/// data: the summaries agree (losses to 1e-4, accuracies exactly), only rank 0 writes, and one process refuses a
/// batch smaller than the job.
/// </summary>
public sealed class DistributedSampleTests(ITestOutputHelper output)
{
    [Fact]
    public void Two_processes_train_the_pair_like_one_and_only_rank_0_writes()
    {
        string root = Directory.CreateTempSubdirectory("bngen-sample-mpi-").FullName;
        try
        {
            string data = Path.Combine(root, "data");
            string checksums = SyntheticMnist.WriteFolder(data, train: 512, test: 128);
            string[] common = ["--data", data, "--checksums", checksums, "--epochs", "2", "--batch-size", "32", "--plain"];

            var distributed = MpiJob.Run(2, SampleAssembly, [.. common, "--distributed", "--out", Path.Combine(root, "two")], TimeSpan.FromMinutes(4));
            output.WriteLine(distributed.Output);
            Assert.True(distributed.ExitCode == 0, distributed.Output);
            var single = RunOneProcess([.. common, "--out", Path.Combine(root, "one")]);

            var two = Results(Path.Combine(root, "two", "summary.json"));
            var one = Results(Path.Combine(root, "one", "summary.json"));
            foreach (var model in one.Keys)
            {
                output.WriteLine($"{model}: one process loss {one[model].Loss:F6} acc {one[model].Accuracy:P2}; two processes loss {two[model].Loss:F6} acc {two[model].Accuracy:P2}");
                Assert.True(Math.Abs(one[model].Loss - two[model].Loss) <= 1e-4, $"{model}: final loss {two[model].Loss} vs {one[model].Loss}");
                Assert.Equal(one[model].Accuracy, two[model].Accuracy);
            }

            Assert.Equal(4, Directory.GetFiles(Path.Combine(root, "two")).Length);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_batch_smaller_than_the_job_is_refused_naming_the_rank_and_nothing_is_written()
    {
        string root = Directory.CreateTempSubdirectory("bngen-sample-mpi-").FullName;
        try
        {
            string data = Path.Combine(root, "data");
            string checksums = SyntheticMnist.WriteFolder(data, train: 64, test: 16);
            var job = MpiJob.Run(3, SampleAssembly, ["--data", data, "--checksums", checksums, "--batch-size", "2", "--distributed", "--plain", "--out", Path.Combine(root, "out")], TimeSpan.FromMinutes(2));

            Assert.NotEqual(0, job.ExitCode);
            Assert.Matches("rank [0-2] of 3 on .*: ArgumentException: --batch-size 2 is smaller than the 3 processes", job.Output);
            Assert.False(Directory.Exists(Path.Combine(root, "out")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static System.Collections.Generic.Dictionary<string, (double Loss, double Accuracy)> Results(string summary)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(summary));
        return document.RootElement.GetProperty("results").EnumerateArray().ToDictionary(
            r => r.GetProperty("model").GetString()!,
            r => (r.GetProperty("final_train_loss").GetDouble(), r.GetProperty("test_accuracy").GetDouble()));
    }

    /// <summary>The sample, from this test project's output (it references the sample).</summary>
    private static string SampleAssembly => Path.Combine(AppContext.BaseDirectory, "Sample.Mnist.dll");

    private MpiJob.Result RunOneProcess(string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(SampleAssembly);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string text = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        output.WriteLine(text);
        Assert.True(process.ExitCode == 0, text);
        return new MpiJob.Result(process.ExitCode, text, TimeSpan.Zero);
    }
}
