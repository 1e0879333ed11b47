using System;
using System.Diagnostics;
using System.Globalization;
using BnGen.Mpi;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// What a gradient all-reduce costs when no rank waits for another: every round the ranks first agree (a barrier),
/// then all-reduce one float32 buffer; rank 0 reports the median of the all-reduce alone. Against the "in collectives"
/// time of a training step (<see cref="DistributedSteps"/>), it splits that time into transfer and waiting — the most
/// that overlapping the all-reduce with backward could hide on the machine.
/// </summary>
/// <remarks>mpirun.mpich -np 2 dotnet benchmarks/BnGen.Benchmarks/bin/Release/net10.0/linux-x64/BnGen.Benchmarks.dll allreduce [float32 elements] [rounds]</remarks>
internal static class AllReduceCost
{
    /// <summary>The generated ResNet-18's parameter count: the gradient buffer its data-parallel step all-reduces.</summary>
    public static long ResNet18Parameters()
    {
        using var network = new BnGen.TestSupport.ResNet.ResNet18BN();
        long count = 0;
        foreach (var parameter in network.parameters())
            count += parameter.NumberOfElements;
        return count;
    }

    public static int Run(long elements, int rounds) => MpiWorld.Run(world =>
    {
        torch.set_num_threads(1);
        using var buffer = torch.ones(elements, float32);
        var milliseconds = new double[rounds];
        const int warmUpRounds = 5;
        for (int round = -warmUpRounds; round < rounds; round++)
        {
            world.Agree("all-reduce benchmark: start together");
            long began = Stopwatch.GetTimestamp();
            world.AllReduceSum(buffer, "all-reduce benchmark");
            if (round >= 0)
                milliseconds[round] = Stopwatch.GetElapsedTime(began).TotalMilliseconds;
            buffer.fill_(1);
        }

        if (world.IsRoot)
        {
            Console.WriteLine(Machine.Describe());
            double median = Median.Of(milliseconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"all-reduce of {elements:N0} float32 ({elements * 4 / 1048576.0:F1} MiB), {world.Size} process(es), {rounds} rounds after a barrier each: median {median:F3} ms, {elements * 4 / 1e6 / median:F2} GB/s"));
        }

        return 0;
    });
}
