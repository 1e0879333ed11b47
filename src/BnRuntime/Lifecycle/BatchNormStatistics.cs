using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>What <see cref="BatchNormStatistics.Recompute"/> makes of the batches it sees.</summary>
public enum BatchNormRecomputation
{
    /// <summary>
    /// PyTorch's <c>torch.optim.swa_utils.update_bn</c>: running statistics reset, then updated with a cumulative average
    /// (<c>momentum=None</c>) of each batch's statistics — every batch weighs the same, whatever its size.
    /// </summary>
    CumulativeAverage,

    /// <summary>
    /// The population's: the exact mean and unbiased variance of every sample each batch norm saw, pooled over all
    /// batches (fvcore's PreciseBN intent) — a batch of 50 weighs ten times one of 5, and the spread between batch
    /// means counts. Computed in float64 from each batch norm's input.
    /// </summary>
    Population,
}

/// <summary>
/// Recomputes the running statistics of every batch norm in a network from data — after weight averaging (SWA), or
/// when they lag the weights — for BnGen's sites and TorchSharp's <c>BatchNorm1d/2d/3d</c> alike.
/// </summary>
public static class BatchNormStatistics
{
    /// <summary>
    /// Runs <paramref name="network"/> over <paramref name="batches"/> in training mode without gradients and sets every
    /// batch norm's running statistics from them (<paramref name="mode"/>); momenta and the network's training mode are
    /// restored afterwards. On a synchronized (BnGen.Mpi) network both modes give every process the global statistics: the
    /// cumulative average of the global batches, or the population of every process's samples.
    /// </summary>
    /// <param name="network">A generated network or any TorchSharp model; not fused, no batch norm frozen.</param>
    /// <param name="batches">Inputs of the network's forward; at least one.</param>
    /// <param name="mode">The cumulative average of batch statistics (PyTorch's update_bn), or the population's.</param>
    /// <param name="progress">Told the number of batches done after each one, for long loaders.</param>
    /// <returns>How many batch norms were updated.</returns>
    /// <exception cref="InvalidOperationException">The network is fused, a batch norm is frozen or keeps no running
    /// statistics (the message names its path), or there was no batch. Statistics already reset stay reset only in the
    /// last case.</exception>
    public static int Recompute(nn.Module<Tensor, Tensor> network, IEnumerable<Tensor> batches, BatchNormRecomputation mode = BatchNormRecomputation.CumulativeAverage, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(batches);
        if (BatchNormNetwork.IsFused(network))
            throw new InvalidOperationException($"{BatchNormNetwork.NameOf(network)} is fused for inference: its batch norm lives in its layers now. Recompute the statistics of the unfused network, then fuse.");
        var found = BatchNormFreezing.BatchNorms(network);
        foreach (var (path, module, _, _, runningMean) in found)
        {
            if (BatchNormFreezing.IsFrozen(module))
                throw new InvalidOperationException($"'{path}' is frozen (BatchNormFreezing.Freeze): its statistics must not change. Unfreeze it first. Nothing was changed.");
            if (runningMean is null || module is BatchNormSite { IsFolded: true })
                throw new InvalidOperationException($"'{path}' keeps no running statistics to recompute, or is folded. Nothing was changed.");
        }

        bool wasTraining = network.training;
        var momenta = new Dictionary<BatchNorm, double?>();
        var population = new Dictionary<nn.Module, Moments>();
        var hooks = new List<Action>();
        try
        {
            foreach (var (_, module, _, _, _) in found)
            {
                Reset(module);
                if (module is BatchNormSite site)
                {
                    site.AveragesCumulatively = true;
                }
                else if (module is BatchNorm native)
                {
                    momenta[native] = native.momentum;
                    native.momentum = null;
                }

                if (mode == BatchNormRecomputation.Population)
                {
                    var moments = population[module] = new Moments();
                    var hook = module.register_forward_pre_hook((_, input) =>
                    {
                        moments.Add(input);
                        return input;
                    });
                    hooks.Add(() => hook.remove());
                }
            }

            network.train();
            int done = 0;
            using (no_grad())
            {
                foreach (var batch in batches)
                {
                    using var scope = NewDisposeScope();
                    network.call(batch);
                    done++;
                    progress?.Report(done);
                }
            }

            if (done == 0)
                throw new InvalidOperationException("BatchNormStatistics.Recompute: no batch to compute statistics from.");

            if (mode == BatchNormRecomputation.Population)
            {
                foreach (var (path, module, _, _, runningMean) in found)
                    population[module].WriteTo(runningMean!, RunningVar(module)!, path, module as BatchNormSite);
            }
        }
        finally
        {
            foreach (var remove in hooks)
                remove();
            foreach (var site in found.Select(f => f.Module).OfType<BatchNormSite>())
                site.AveragesCumulatively = false;
            foreach (var (native, momentum) in momenta)
                native.momentum = momentum;
            network.train(wasTraining);
        }

        return found.Count;
    }

    private static void Reset(nn.Module module)
    {
        if (module is BatchNormSite site)
        {
            site.reset_running_stats();
            return;
        }

        var native = (BatchNorm)module;
        using var noGrad = no_grad();
        native.running_mean!.zero_();
        native.running_var!.fill_(1);
        native.num_batches_tracked?.zero_();
    }

    private static Tensor? RunningVar(nn.Module module) => module is BatchNormSite site ? site.RunningVar : ((BatchNorm)module).running_var;

    /// <summary>
    /// Every input a batch norm saw, as one row of per-channel count, mean and M2 per batch (in float64), combined at the
    /// end with the synchronized sites' own Chan combination, as if each batch were a replica. A synchronized site's
    /// process then hands its combined row to the site's reducer, like one more slice, so every process ends with the
    /// population of all processes' samples.
    /// </summary>
    private sealed class Moments
    {
        private readonly List<Tensor> rows = new();

        public void Add(Tensor input) => rows.Add(ChannelMoments.Pack(input.to(ScalarType.Float64)).DetachFromDisposeScope());

        public void WriteTo(Tensor runningMean, Tensor runningVar, string path, BatchNormSite? site)
        {
            using var scope = NewDisposeScope();
            int channels = checked((int)runningMean.size(0));
            var local = stack(rows);
            foreach (var row in rows)
                row.Dispose();
            if (site?.StatisticsReducer is { } reducer)
            {
                var (localCount, localMean, localVariance) = ChannelMoments.Combine(local, channels);
                var packed = new double[2 * channels + 1];
                packed[0] = localCount;
                for (int k = 0; k < channels; k++)
                {
                    packed[1 + k] = localMean[k];
                    packed[1 + channels + k] = localVariance[k] * localCount;
                }

                local = reducer.GatherMoments(site, ChannelVector.Create(packed, [packed.Length], ScalarType.Float64, CPU));
            }

            var (count, mean, biasedVariance) = ChannelMoments.Combine(local, channels);
            if (count < 2)
                throw new InvalidOperationException($"'{path}' saw {count} value(s) per channel: a population variance needs two.");
            var unbiasedVariance = new double[channels];
            for (int k = 0; k < channels; k++)
                unbiasedVariance[k] = biasedVariance[k] * ((double)count / (count - 1));
            ChannelVector.Overwrite(runningMean, mean);
            ChannelVector.Overwrite(runningVar, unbiasedVariance);
        }
    }
}
