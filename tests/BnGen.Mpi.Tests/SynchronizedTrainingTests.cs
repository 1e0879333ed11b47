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

    [Fact]
    public void A_composed_ResNet_18_converts_all_20_sites_and_trains_like_one_process()
    {
        // Own-forward blocks, Sequential stages, downsample Sequential(conv, site): every site found by one call.
        // 32x32 images: layer4's sites see 1x1 maps, so the rank with 3 samples normalizes over 3 values locally,
        // over 8 globally.
        var ranks = Train("resnet", "float64", "3,5", sync: true, steps: 3);

        foreach (var (rank, differences) in ranks)
        {
            Assert.Equal(20, convertedSites[rank]);
            foreach (var (category, difference) in differences)
            {
                output.WriteLine($"rank {rank} {category}: max |difference| {difference[0]:E2}, relative {difference[1]:E2}");
                // Relative only: after three steps at lr 0.1 the 1000 logits reach a few hundred (seen: 1.1e-10
                // absolute on eval outputs of magnitude ~300, 3.6e-13 relative).
                Assert.True(difference[1] <= 1e-10, $"rank {rank}, {category}: {difference[0]:E3} absolute, {difference[1]:E3} relative");
            }
        }
    }

    [Theory]
    [InlineData("conv", "CumulativeAverage")]
    [InlineData("conv", "Population")]
    [InlineData("simple", "Population")]
    public void Recomputed_statistics_of_a_synchronized_network_are_the_global_ones(string net, string mode)
    {
        // Slices 5/3/8 of batches 16, 32 and 48 with different means: update_bn's cumulative average of the global
        // batches, or the population of every rank's samples — equal to one process on the whole batches.
        var ranks = Train(net, "float64", "5,3,8", sync: true, steps: 2, recompute: mode);

        foreach (var (rank, categories) in ranks)
        {
            Assert.Equal(0, categories["recomputed num_batches_tracked"][0]);
            var difference = categories["recomputed statistics"];
            output.WriteLine($"rank {rank} {mode}: max |difference| {difference[0]:E2}, relative {difference[1]:E2}");
            Assert.True(difference[0] <= 1e-10, $"rank {rank}, {mode}: recomputed statistics differ by {difference[0]:E3}");
            Assert.True(categories["eval outputs"][1] <= 1e-10, $"rank {rank}, {mode}: eval outputs differ by {categories["eval outputs"][1]:E3} relative");
        }
    }

    private readonly Dictionary<int, int> convertedSites = new();

    private Dictionary<int, Dictionary<string, double[]>> Train(string net, string dtype, string slices, bool sync, int steps = 5, string? recompute = null)
    {
        int processes = slices.Split(',').Length;
        string folder = Directory.CreateTempSubdirectory("bngen-mpi-").FullName;
        try
        {
            string[] arguments = ["scenario=train", $"net={net}", $"dtype={dtype}", $"slices={slices}", $"steps={steps}", $"sync={sync}", $"out={folder}"];
            if (recompute is not null)
                arguments = [.. arguments, $"recompute={recompute}"];
            var job = MpiJob.Run(processes, Worker.Assembly, arguments, TimeSpan.FromMinutes(4));
            output.WriteLine($"mpirun -np {processes}: exit {job.ExitCode} after {job.Elapsed.TotalSeconds:0.0} s");
            Assert.True(job.ExitCode == 0, $"mpirun exited {job.ExitCode}:\n{job.Output}");
            var ranks = new Dictionary<int, Dictionary<string, double[]>>();
            for (int rank = 0; rank < processes; rank++)
            {
                var report = JsonSerializer.Deserialize<Report>(File.ReadAllText(Path.Combine(folder, $"rank{rank}.json")))!;
                convertedSites[rank] = report.converted_sites;
                ranks[rank] = report.differences;
            }

            return ranks;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

#pragma warning disable IDE1006 // The worker's JSON names.
    private sealed record Report(int converted_sites, Dictionary<string, double[]> differences);
#pragma warning restore IDE1006
}
