using System;
using System.Diagnostics;
using System.Linq;
using BnGen.TestSupport.Article;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// What a synchronized site costs beyond a local one before any transport: one process, every site given a loopback
/// reducer (one replica — the moments come back as they went, the sums unchanged), training steps of the same network
/// with and without it, interleaved, medians. The distributed figure is this plus the collectives, so this is the part
/// the site's own code decides. Run with `-- sync-compute [rounds] [batch]` (batch 64: a process's half of a global 128).
/// </summary>
public static class SynchronizedSiteCompute
{

    public static int Run(int rounds, int batch)
    {
        set_num_threads(1); // as each MPI process runs
        foreach (string name in new[] { "mlp", "conv" })
        {
            manual_seed(1);
            using var local = Create(name);
            using var synchronized = Create(name);
            synchronized.load_state_dict(local.state_dict());
            foreach (var site in synchronized.modules().OfType<BatchNormSite>())
                site.StatisticsReducer = new LoopbackReducer();

            using var images = randn(batch, 1, 28, 28);
            using var labels = randint(0, 10, new long[] { batch });
            var localOptimizer = optim.SGD(local.parameters(), 0.01);
            var synchronizedOptimizer = optim.SGD(synchronized.parameters(), 0.01);
            for (int warm = 0; warm < 300; warm++) // tiered JIT
            {
                Step(local, localOptimizer, images, labels);
                Step(synchronized, synchronizedOptimizer, images, labels);
            }

            Interleaved.Report($"{name} training step, batch {batch}, loopback", "local", rounds,
                () => Step(local, localOptimizer, images, labels), () => Step(synchronized, synchronizedOptimizer, images, labels));
        }

        return 0;
    }

    private static double Step(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, Tensor images, Tensor labels)
    {
        long start = Stopwatch.GetTimestamp();
        using (var scope = NewDisposeScope())
        {
            optimizer.zero_grad();
            nn.functional.cross_entropy(network.call(images), labels).backward();
            optimizer.step();
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private static nn.Module<Tensor, Tensor> Create(string name) => name == "mlp" ? new SimpleNetBN() : new ConvNetBN();

    /// <summary>One replica: gathering returns this replica's row, summing leaves the sums as they are.</summary>
    private sealed class LoopbackReducer : IBatchStatisticsReducer
    {
        public Tensor GatherMoments(BatchNormSite site, Tensor localMoments) => localMoments.unsqueeze(0);

        public void SumGradients(BatchNormSite site, Tensor gradients)
        {
        }

        public long? GlobalBatchSize(BatchNormSite site, long localBatchSize) => localBatchSize;
    }
}
