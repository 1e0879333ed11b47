using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using Xunit.Abstractions;

namespace BnGen.Mpi.Tests;

/// <summary>
/// The proof of synchronized batch norm: the sample's generated SimpleNetBN and ConvNetBN trained for 5 SGD steps
/// data-parallel on 2 or 3 processes (mpirun, this machine), with synchronized sites, equal one process trained on
/// the concatenated batch — outputs, gradients (after averaging), parameters, running statistics,
/// num_batches_tracked, and eval outputs afterwards. Each rank compares itself with that one-process reference.
/// Tolerances, relative to the largest magnitude of the expected tensor (of all gradients, for gradients):
/// float64 1e-10, float32 1e-5; num_batches_tracked exactly.
/// </summary>
public sealed class SynchronizedTrainingTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("simple", "float64", "4,4")]
    [InlineData("simple", "float32", "4,4")]
    [InlineData("conv", "float64", "4,4")]
    [InlineData("conv", "float32", "4,4")]
    [InlineData("simple", "float64", "5,3,8")]
    [InlineData("simple", "float32", "5,3,8")]
    [InlineData("conv", "float64", "5,3,8")]
    [InlineData("conv", "float32", "5,3,8")]
    [InlineData("conv", "float64", "1,6")] // one sample on a rank: its dense site sees a single row, the global batch 7
    public void Data_parallel_training_with_synchronized_sites_equals_one_process_on_the_whole_batch(string net, string dtype, string slices)
    {
        double tolerance = dtype == "float64" ? 1e-10 : 1e-5;
        var ranks = Train(net, dtype, slices, sync: true);

        foreach (var (rank, categories) in ranks)
        {
            Assert.Equal(["eval outputs", "gradients", "num_batches_tracked", "outputs", "parameters", "running statistics"], categories.Keys.Order());
            Assert.Equal(0, categories["num_batches_tracked"][0]);
            foreach (var (category, difference) in categories)
            {
                output.WriteLine($"rank {rank} {category}: max |difference| {difference[0]:E2}, relative {difference[1]:E2}");
                Assert.True(difference[1] <= tolerance, $"rank {rank}, {category}: relative difference {difference[1]:E3} > {tolerance:E0}");
                if (dtype == "float64")
                    Assert.True(difference[0] <= tolerance, $"rank {rank}, {category}: absolute difference {difference[0]:E3} > {tolerance:E0}");
            }
        }
    }

    [Theory]
    [InlineData("simple", "4,4")]
    [InlineData("conv", "5,3,8")]
    public void Without_synchronization_the_same_run_differs(string net, string slices)
    {
        var ranks = Train(net, "float64", slices, sync: false);

        // Local batch norm normalizes each slice with its own statistics: a different function of the batch.
        foreach (var (rank, categories) in ranks)
        {
            foreach (var (category, difference) in categories)
                output.WriteLine($"local BN, rank {rank} {category}: max |difference| {difference[0]:E2}, relative {difference[1]:E2}");
            Assert.True(categories["outputs"][1] > 1e-2, $"rank {rank}: outputs differ by only {categories["outputs"][1]:E2} relative");
            Assert.True(categories["running statistics"][1] > 1e-3, $"rank {rank}: running statistics differ by only {categories["running statistics"][1]:E2}");
        }
    }

    private Dictionary<int, Dictionary<string, double[]>> Train(string net, string dtype, string slices, bool sync)
    {
        int processes = slices.Split(',').Length;
        string folder = Directory.CreateTempSubdirectory("bngen-mpi-").FullName;
        try
        {
            var job = MpiJob.Run(processes, ["scenario=train", $"net={net}", $"dtype={dtype}", $"slices={slices}", "steps=5", $"sync={sync}", $"out={folder}"], TimeSpan.FromMinutes(4));
            output.WriteLine($"mpirun -np {processes}: exit {job.ExitCode} after {job.Elapsed.TotalSeconds:0.0} s");
            Assert.True(job.ExitCode == 0, $"mpirun exited {job.ExitCode}:\n{job.Output}");
            return Enumerable.Range(0, processes).ToDictionary(
                rank => rank,
                rank => JsonSerializer.Deserialize<Dictionary<string, double[]>>(File.ReadAllText(Path.Combine(folder, $"rank{rank}.json")))!);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
