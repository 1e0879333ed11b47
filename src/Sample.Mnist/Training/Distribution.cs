using System;
using BnGen.Mpi;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Sample.Mnist.Training;

/// <summary>
/// Data-parallel training of the pair across the ranks of an MPI job (<c>--distributed</c>): each rank takes its
/// share of every batch, the batch-normalized network's sites use the global batch's statistics
/// (<see cref="SyncBatchNorm"/>), and gradients are averaged (<see cref="DataParallel"/>), so every rank holds
/// the same networks after every step — the ones one process would train on the whole batch.
/// </summary>
public sealed class Distribution : IDisposable
{
    private readonly DataParallel plain;
    private readonly DataParallel normalized;

    public Distribution(MpiWorld world, nn.Module<Tensor, Tensor> plainNetwork, nn.Module<Tensor, Tensor> normalizedNetwork)
    {
        World = world;
        SyncBatchNorm.Convert(normalizedNetwork, world);
        plain = new DataParallel(plainNetwork, world);
        normalized = new DataParallel(normalizedNetwork, world);
    }

    public MpiWorld World { get; }

    /// <summary>Frees both networks' gradient buffers.</summary>
    public void Dispose()
    {
        plain.Dispose();
        normalized.Dispose();
    }

    public DataParallel For(nn.Module network) => ReferenceEquals(network, plain.Network) ? plain : normalized;

    /// <summary>This rank's rows of a batch of <paramref name="length"/>: contiguous, sizes differing by at most one.</summary>
    public (long Start, long Length) Share(long length)
    {
        long start = length * World.Rank / World.Size;
        long end = length * (World.Rank + 1) / World.Size;
        return (start, end - start);
    }

    /// <summary>The global batch's mean loss from each rank's mean over its share (weighted by share size).</summary>
    public double GlobalMeanLoss(double localMeanLoss, long localCount)
    {
        using var sums = torch.tensor(new[] { localMeanLoss * localCount, localCount }, ScalarType.Float64);
        World.AllReduceSum(sums, "training loss");
        return sums[0].item<double>() / sums[1].item<double>();
    }
}
