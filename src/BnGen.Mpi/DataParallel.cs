using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Mpi;

/// <summary>
/// Data-parallel training of one network over the ranks of an <see cref="MpiWorld"/>, the part of PyTorch's
/// <c>DistributedDataParallel</c> that CPU clusters need: every rank starts from rank 0's parameters and buffers,
/// trains on its own slice of each batch, and after backward averages the gradients over the ranks (in one flat
/// buffer per dtype that the gradients live in, one all-reduce each), so every rank takes the same optimizer step.
/// </summary>
/// <remarks>
/// Pair it with <see cref="SyncBatchNorm.Convert"/> so that batch norm, too, sees the global batch; then a step on
/// N ranks equals one process's step on the concatenated batch. With slices of different sizes, scale each rank's
/// mean loss by <see cref="LossScale"/> so that the averaged gradient is the global batch's mean gradient.
/// </remarks>
public sealed class DataParallel : IDisposable
{
    private readonly nn.Module network;
    private readonly MpiWorld world;
    private readonly Dictionary<ScalarType, GradientBucket> buckets = new();
    private bool disposed;

    /// <summary>Wraps <paramref name="network"/> and copies rank 0's parameters and buffers to every rank.</summary>
    /// <exception cref="NotSupportedException">A parameter or buffer is not on the CPU (BnGen.Mpi is CPU-only); nothing was sent.</exception>
    /// <exception cref="MpiMismatchException">The ranks' networks have different parameters or buffers.</exception>
    public DataParallel(nn.Module network, MpiWorld world)
    {
        this.network = network ?? throw new ArgumentNullException(nameof(network));
        CpuOnly.Require(network, nameof(DataParallel));
        this.world = world ?? throw new ArgumentNullException(nameof(world));
        BroadcastState();
    }

    /// <summary>The network being trained.</summary>
    public nn.Module Network => network;

    /// <summary>The processes it is trained on.</summary>
    public MpiWorld World => world;

    /// <summary>
    /// The factor for this rank's mean loss when slices differ in size: <c>localBatchSize · Size / globalBatchSize</c>
    /// (1 when every slice is equal). One small all-reduce of the sizes.
    /// </summary>
    public double LossScale(long localBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(localBatchSize);
        using var sizes = torch.tensor(new[] { localBatchSize });
        world.AllReduceSum(sizes, "batch sizes");
        long global = sizes.item<long>();
        if (global == 0)
            throw new ArgumentException("Every rank's slice is empty: the global batch has no samples.", nameof(localBatchSize));
        return (double)localBatchSize * world.Size / global;
    }

    /// <summary>
    /// Replaces every parameter's gradient by its mean over the ranks. Call after <c>backward()</c> and before the
    /// optimizer's step, on every rank.
    /// </summary>
    /// <remarks>
    /// The gradients of each dtype are all-reduced in one flat buffer that this object keeps, and afterwards every
    /// parameter's <c>grad</c> is a view into it (PyTorch's <c>gradient_as_bucket_view</c>). While they stay views —
    /// an optimizer's <c>zero_grad()</c> zeroes them in place — backward accumulates straight into the buffer and the
    /// next call copies nothing; after <c>Module.zero_grad()</c>, which sets them to null, the new gradients are
    /// copied in once and become views again. Either way the result is the same, bit for bit.
    /// </remarks>
    /// <exception cref="MpiMismatchException">Ranks have gradients for different parameters; no gradient was changed.</exception>
    /// <exception cref="NotSupportedException">A gradient is off the CPU; nothing was changed.</exception>
    /// <exception cref="ObjectDisposedException">This object was disposed.</exception>
    public void AverageGradients()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        using var scope = torch.NewDisposeScope();
        var withGradients = new List<(string Name, Parameter Parameter, Tensor Gradient)>();
        foreach (var (name, parameter) in network.named_parameters())
        {
            var gradient = parameter.grad;
            if (gradient is not null)
                withGradients.Add((name, parameter, gradient));
        }

        // Before any gradient is moved: a network moved to a device after it was wrapped.
        CpuOnly.Require(withGradients.Select(g => ($"the gradient of '{g.Name}'", g.Gradient)), "DataParallel.AverageGradients");
        foreach (var group in withGradients.GroupBy(p => p.Gradient.dtype))
        {
            var members = group.ToList();
            var gradients = members.Select(m => (m.Name, m.Gradient)).ToList();
            if (!buckets.TryGetValue(group.Key, out var bucket) || !bucket.Holds(gradients))
            {
                bucket?.Dispose();
                bucket = GradientBucket.For(gradients);
                buckets[group.Key] = bucket;
            }

            var copied = bucket.Gather(gradients);
            world.AllReduceSum(bucket.Buffer, $"gradients of {members.Count} {group.Key} parameters");
            if (world.Size > 1)
                bucket.Buffer.div_(world.Size);
            bucket.AttachViews(members.Select(m => m.Parameter).ToList(), copied);
        }
    }

    /// <summary>Releases the gradient buffers. The parameters' gradients stay valid: they keep their memory.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        foreach (var bucket in buckets.Values)
            bucket.Dispose();
        buckets.Clear();
    }

    private void BroadcastState()
    {
        using var noGrad = torch.no_grad();
        var tensors = network.named_parameters().Select(p => (Tensor)p.parameter)
            .Concat(network.named_buffers().Select(b => b.buffer))
            .ToList();
        foreach (var group in tensors.GroupBy(t => t.dtype))
        {
            var members = group.ToList();
            using var scope = torch.NewDisposeScope();
            var bucket = torch.cat(members.Select(t => t.reshape(-1)).ToList());
            world.Broadcast(bucket, root: 0, $"initial state: {members.Count} {group.Key} tensors");
            CopyBack(bucket, members);
        }
    }

    private static void CopyBack(Tensor bucket, IReadOnlyList<Tensor> targets)
    {
        using var noGrad = torch.no_grad();
        long offset = 0;
        foreach (var target in targets)
        {
            long count = target.NumberOfElements;
            target.copy_(bucket.narrow(0, offset, count).view(target.shape));
            offset += count;
        }
    }
}
