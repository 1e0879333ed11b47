using System;
using System.Threading;
using static TorchSharp.torch;

namespace BnGen.Tests.CrossReplica;

/// <summary>
/// Replicas as threads of one process, exchanging through shared slots and a barrier: a transport for
/// <see cref="IBatchStatisticsReducer"/> that needs no MPI, so the site's cross-replica math is tested on its own.
/// </summary>
internal sealed class ThreadReplicas(int count)
{
    private readonly Barrier barrier = new(count);
    private readonly Tensor?[] slots = new Tensor?[count];

    public int Count => count;

    public IBatchStatisticsReducer ReducerFor(int replica) => new Reducer(this, replica);

    /// <summary>Runs <paramref name="body"/> once per replica, each on its own thread, and rethrows the first failure.</summary>
    public void Run(Action<int> body)
    {
        var failures = new Exception?[count];
        var threads = new Thread[count];
        for (int r = 0; r < count; r++)
        {
            int replica = r;
            threads[r] = new Thread(() =>
            {
                try { body(replica); }
                catch (Exception e) { failures[replica] = e; barrier.RemoveParticipant(); }
            });
            threads[r].Start();
        }

        foreach (var thread in threads)
            thread.Join();
        foreach (var failure in failures)
            if (failure is not null)
                throw new AggregateException(failure);
    }

    private Tensor Exchange(int replica, Tensor local, Func<Tensor?[], Tensor> combine)
    {
        slots[replica] = local.clone();
        barrier.SignalAndWait();
        var result = combine(slots);
        barrier.SignalAndWait();
        return result;
    }

    private sealed class Reducer(ThreadReplicas replicas, int replica) : IBatchStatisticsReducer
    {
        public Tensor GatherMoments(BatchNormSite site, Tensor localMoments) =>
            replicas.Exchange(replica, localMoments, rows => stack(rows!));

        public void SumGradients(BatchNormSite site, Tensor gradients)
        {
            var sum = replicas.Exchange(replica, gradients, rows =>
            {
                var total = zeros_like(rows[0]!);
                foreach (var row in rows)
                    total.add_(row!);
                return total;
            });
            gradients.copy_(sum);
        }

        public long? GlobalBatchSize(BatchNormSite site, long localBatchSize)
        {
            using var local = tensor(new[] { localBatchSize });
            using var total = replicas.Exchange(replica, local, rows =>
            {
                var sum = zeros_like(rows[0]!);
                foreach (var row in rows)
                    sum.add_(row!);
                return sum;
            });
            return total.item<long>();
        }
    }
}
