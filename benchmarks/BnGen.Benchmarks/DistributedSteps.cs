using System;
using System.Diagnostics;
using System.Globalization;
using BnGen.Mpi;
using BnGen.TestSupport.Article;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// Data-parallel training steps under mpirun: the same network trained with synchronized sites and with local
/// (per-process) batch norm, alternating step by step (and which goes first) in one job so both see the same machine. Reports per-step
/// medians on rank 0: step time, time inside MPI collectives (transfer plus waiting for the other ranks), time in
/// <see cref="DataParallel.AverageGradients"/> (its all-reduce and the copies around it), their ratio, and images per
/// second for the global batch. Run it with -np 1 and -np 2 for the scaling figure.
/// </summary>
/// <remarks>mpirun.mpich -np 2 dotnet benchmarks/BnGen.Benchmarks/bin/Release/net10.0/linux-x64/BnGen.Benchmarks.dll distributed mlp|conv|resnet [global batch] [rounds] [warm-up rounds]</remarks>
internal static class DistributedSteps
{
    public static int Run(string network, int globalBatch, int rounds, int warmUpRounds) => MpiWorld.Run(world =>
    {
        torch.set_num_threads(1);
        torch.manual_seed(1);
        var (synchronized, imageShape, classes) = Create(network);
        var (local, _, _) = Create(network);
        SyncBatchNorm.Convert(synchronized, world);
        var variants = new[]
        {
            (Name: "synchronized BN", Parallel: new DataParallel(synchronized, world), Optimizer: optim.SGD(synchronized.parameters(), 0.01)),
            (Name: "local BN", Parallel: new DataParallel(local, world), Optimizer: optim.SGD(local.parameters(), 0.01)),
        };

        long start = (long)globalBatch * world.Rank / world.Size;
        long length = (long)globalBatch * (world.Rank + 1) / world.Size - start;
        var images = torch.randn([length, .. imageShape]);
        var labels = torch.randint(0, classes, length, dtype: int64);
        var stepMs = new double[2][];
        var collectiveMs = new double[2][];
        var averagingMs = new double[2][];
        for (int v = 0; v < 2; v++)
        {
            stepMs[v] = new double[rounds];
            collectiveMs[v] = new double[rounds];
            averagingMs[v] = new double[rounds];
        }

        // Warm-up long enough for tiered JIT to finish: with 10 rounds the managed code of the synchronized path was
        // still partly unoptimized and its ratio read 1.6 where 5,000 rounds read 1.5 (SimpleNetBN).
        for (int round = -warmUpRounds; round < rounds; round++)
        {
            for (int turn = 0; turn < 2; turn++)
            {
                // Alternate which runs first, so neither always meets the other's leftovers.
                int v = round % 2 == 0 ? turn : 1 - turn;
                var (_, parallel, optimizer) = variants[v];
                var model = (nn.Module<Tensor, Tensor>)parallel.Network;
                TimeSpan before = world.CollectiveTime;
                long began = Stopwatch.GetTimestamp();
                TimeSpan averaging;
                using (var scope = torch.NewDisposeScope())
                {
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.forward(images), labels);
                    loss.backward();
                    long averagingBegan = Stopwatch.GetTimestamp();
                    parallel.AverageGradients();
                    averaging = Stopwatch.GetElapsedTime(averagingBegan);
                    optimizer.step();
                }

                if (round >= 0)
                {
                    stepMs[v][round] = Stopwatch.GetElapsedTime(began).TotalMilliseconds;
                    collectiveMs[v][round] = (world.CollectiveTime - before).TotalMilliseconds;
                    averagingMs[v][round] = averaging.TotalMilliseconds;
                }
            }
        }

        if (world.IsRoot)
        {
            Console.WriteLine(Machine.Describe());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{network}, {world.Size} process(es), global batch {globalBatch}, {rounds} rounds after {warmUpRounds} warm-up rounds, medians (rank 0):"));
            double[] step = new double[2];
            for (int v = 0; v < 2; v++)
            {
                step[v] = Median.Of(stepMs[v]);
                double communication = Median.Of(collectiveMs[v]);
                double averaging = Median.Of(averagingMs[v]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {variants[v].Name,-16} step {step[v],8:F3} ms   in collectives {communication,8:F3} ms ({communication / step[v],6:P1})   averaging gradients {averaging,8:F3} ms   {globalBatch / step[v] * 1000,9:F0} images/s"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  synchronized / local step time: {step[0] / step[1]:F3}"));
        }

        foreach (var variant in variants)
            variant.Parallel.Dispose();
        return 0;
    });

    private static (nn.Module<Tensor, Tensor> Network, long[] ImageShape, int Classes) Create(string network) => network switch
    {
        "mlp" => (new SimpleNetBN(), [1, 28, 28], 10),
        "conv" => (new ConvNetBN(), [1, 28, 28], 10),
        "resnet" => (new BnGen.TestSupport.ResNet.ResNet18BN(), [3, 64, 64], 1000),
        _ => throw new ArgumentException($"network must be mlp, conv or resnet, not {network}"),
    };
}
