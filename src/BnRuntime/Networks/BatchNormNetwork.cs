using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// What every <see cref="BatchNormalizedAttribute"/> network does the same way, written once: the code generated for
/// each network holds only what varies (its sites, their registration, its forward chain) and calls these. You may
/// call them too, for a network of your own. Each refuses bad input before anything changes, with a message that
/// names the network, the layer or site, and what to do.
/// </summary>
/// <remarks>
/// A network's fusion has one source of truth: the <see cref="FusedMarkerKey"/> buffer that <see cref="Fuse"/>
/// registers. <see cref="IsFused"/>, the training guard and the checkpoint rule all read it, and it travels with
/// every checkpoint the network saves.
/// </remarks>
public static class BatchNormNetwork
{
    /// <summary>
    /// The state_dict key a network gains in <see cref="Fuse"/>. Its checkpoints hold folded weights, which
    /// must not meet batch norm a second time: the key makes an unfused network (BnGen's, or PyTorch's class with
    /// <c>strict=True</c>) refuse them by name.
    /// </summary>
    public const string FusedMarkerKey = "bngen_fused";

    /// <summary>Whether <paramref name="network"/> has been fused by <see cref="Fuse"/> (or loaded a fused checkpoint into a fused network).</summary>
    public static bool IsFused(nn.Module network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network.has_buffer(FusedMarkerKey);
    }

    /// <summary>
    /// Folds every batch-norm site in <paramref name="network"/>'s tree into the layer before it (see
    /// <see cref="BatchNormFusion"/> for which sites), then marks the network fused. Does nothing when it is fused already.
    /// </summary>
    /// <exception cref="InvalidOperationException">The network or a module below it is in training mode, or a site cannot
    /// be folded (the message names its path); nothing was changed.</exception>
    public static void Fuse(nn.Module network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (IsFused(network))
            return;
        if (network.training)
            throw new InvalidOperationException($"{NameOf(network)}.FuseBatchNorm() needs eval mode: call eval() first, since folding uses the running statistics.");

        // Checks the whole module tree (own sites, blocks, Sequential stages) before anything changes.
        BatchNormFusion.PlanChildren(network).Apply();
        // On the network's own device, as every other buffer: a CUDA network's state_dict stays on CUDA.
        var device = network.parameters().Select(p => p.device).FirstOrDefault() ?? torch.CPU;
        network.register_buffer(FusedMarkerKey, torch.tensor(1L, ScalarType.Int64, device));
    }

    /// <summary>
    /// Refuses to switch a fused network back to training, leaving it in eval mode: its layers hold the folded
    /// batch norm and its sites pass their input through. Call it from an override of <c>train</c>, before <c>base.train</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="train"/> is true and the network is fused.</exception>
    public static void RefuseTrainingWhenFused(nn.Module network, bool train)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!train || !IsFused(network))
            return;
        // A parent's train() may already have switched this module's native flag: put it back before refusing.
        network.train(false);
        throw new InvalidOperationException($"{NameOf(network)} was folded for inference by FuseBatchNorm() and cannot train; load its unfused checkpoint into a new instance to train again.");
    }

    /// <summary>
    /// Refuses a training batch of fewer than two samples before any site changes its statistics, when
    /// <paramref name="site"/> normalizes each feature over the batch; does nothing in eval mode. When the site combines
    /// its statistics across replicas (<see cref="BatchNormSite.StatisticsReducer"/>) the batch is the global one: this
    /// process's slice may hold one sample or none, and every replica refuses together when all of them hold one in all
    /// (<see cref="IBatchStatisticsReducer.GlobalBatchSize"/>, one small collective per training step).
    /// </summary>
    /// <param name="network">The network whose forward receives <paramref name="input"/>.</param>
    /// <param name="input">The network's input; dimension 0 is the batch.</param>
    /// <param name="site">The first dense site, reached with the batch dimension intact.</param>
    /// <exception cref="ArgumentException">Training, and the input has no batch dimension or a batch of one.</exception>
    public static void RequireTrainingBatch(nn.Module network, Tensor input, BatchNormSite site)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(site);
        if (!network.training || site.IsFolded || BatchNormFreezing.IsFrozen(site))
            return;
        string shape = "[" + string.Join(", ", Array.ConvertAll(input.shape, d => d.ToString(CultureInfo.InvariantCulture))) + "]";
        if (site.StatisticsReducer is { } reducer)
        {
            long? global = input.Dimensions >= 1 ? reducer.GlobalBatchSize(site, input.size(0)) : null;
            if (global is null or >= 2)
                return;
            throw new ArgumentException(
                $"{NameOf(network)}: training needs a global batch of 2 or more, since batch-norm site '{site.SiteName}' normalizes each feature over the batch; got {global} across all replicas (this one: input {shape}). Nothing was changed. Use a larger global batch, or call eval().",
                nameof(input));
        }

        if (input.Dimensions >= 1 && input.size(0) >= 2)
            return;
        throw new ArgumentException(
            $"{NameOf(network)}: training needs a batch of 2 or more, since batch-norm site '{site.SiteName}' normalizes each feature over the batch; got input {shape}. Nothing was changed. Use a larger batch, or call eval() to run one sample.",
            nameof(input));
    }

    /// <summary>Throws when a layer field is still null where the network's sites are created and its modules registered.</summary>
    /// <remarks>Called by generated <c>InitializeBatchNorm()</c> only, so hidden from IntelliSense.</remarks>
    /// <exception cref="InvalidOperationException"><paramref name="layer"/> is null.</exception>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void RequireLayer([NotNull] nn.Module? layer, nn.Module network, string field)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (layer is null)
        {
            throw new InvalidOperationException(
                $"{NameOf(network)}.InitializeBatchNorm(): layer '{field}' is null. Assign every layer field, in its initializer or in the constructor, before calling InitializeBatchNorm().");
        }
    }

    /// <summary>
    /// Checks, before anything is read into the network, a checkpoint written by TorchSharp's <c>save</c>: its
    /// structure (every entry's dtype and shape against the file's own length, so a file that lies is refused before
    /// anything is allocated from its numbers), its fit (keys, dtypes and shapes against the network, by the rules of
    /// TorchSharp's <c>load</c> with these <paramref name="strict"/> and <paramref name="skip"/>) and its fusion. A load
    /// that passes copies every tensor; one that does not changes nothing. Call it from an override of <c>load</c>
    /// and load from the reader it returns.
    /// </summary>
    /// <returns>The reader to load from: <paramref name="reader"/>, back where it was; or, when its stream cannot
    /// seek, a reader over the checkpoint read into memory (at most twice the network's state plus 1 MiB).</returns>
    /// <exception cref="InvalidOperationException">The fusion differs, or an entry does not fit; nothing was loaded.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed (the message says where); nothing was loaded.</exception>
    public static BinaryReader CheckCheckpoint(nn.Module network, BinaryReader reader, bool strict = true, IList<string>? skip = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(reader);
        var seekable = reader.BaseStream.CanSeek ? reader : InMemory(network, reader);
        var entries = CheckpointHeader.Peek(seekable);
        CheckCheckpoint(network, entries.Select(e => e.Key));
        CheckpointFit.Check(network, entries.Select(e => (e.Key, e.DType, e.Shape)), strict, skip, CheckpointFit.Load, CheckpointHeader.FileName(reader));
        return seekable;
    }

    /// <summary>
    /// Checks, before anything is copied, a state dictionary about to be loaded with <c>load_state_dict</c>: its
    /// fusion, and its keys and shapes against the network by the rules of TorchSharp's <c>load_state_dict</c> with these
    /// <paramref name="strict"/> and <paramref name="skip"/>, except that a shape must match exactly, as in PyTorch
    /// (TorchSharp would broadcast a [1] tensor into any shape). Other dtypes are cast, as PyTorch does.
    /// </summary>
    /// <exception cref="InvalidOperationException">The fusion differs, or a tensor does not fit; nothing was loaded.</exception>
    public static void CheckStateDict(nn.Module network, IReadOnlyDictionary<string, Tensor> source, bool strict = true, IList<string>? skip = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(source);
        CheckCheckpoint(network, source.Keys);
        CheckpointFit.Check(network, source.Select(kv => (kv.Key, kv.Value.dtype, kv.Value.shape)), strict, skip, CheckpointFit.LoadStateDict);
    }

    /// <summary>Reads a stream that cannot seek into memory, refusing one longer than any checkpoint of the network.</summary>
    private static BinaryReader InMemory(nn.Module network, BinaryReader reader)
    {
        long state = 0;
        foreach (var (key, tensor) in network.state_dict())
            state += tensor.NumberOfElements * tensor.ElementSize + key.Length * 4L + 16 + 10L * tensor.ndim;
        long limit = 2 * state + (1L << 20);
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = reader.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > limit)
                throw new InvalidDataException($"The checkpoint is longer than {limit} bytes, more than any checkpoint of {NameOf(network)} holds (its state is {state} bytes). Nothing was loaded.");
            buffer.Write(chunk, 0, read);
        }

        buffer.Position = 0;
        return new BinaryReader(buffer);
    }

    /// <summary>
    /// Refuses a state dictionary or checkpoint whose fusion differs from the network's: fused weights in an unfused
    /// network would meet batch norm twice; unfused weights in a fused one would meet it never.
    /// </summary>
    /// <param name="network">The network about to load it.</param>
    /// <param name="keys">The checkpoint's keys, or null when they cannot be read ahead (nothing is checked then).</param>
    /// <exception cref="InvalidOperationException">The fusion differs.</exception>
    public static void CheckCheckpoint(nn.Module network, IEnumerable<string>? keys)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (keys is null)
            return;
        bool checkpointIsFused = false;
        foreach (var key in keys)
        {
            if (key == FusedMarkerKey)
            {
                checkpointIsFused = true;
                break;
            }
        }

        bool networkIsFused = IsFused(network);
        string name = NameOf(network);
        if (checkpointIsFused && !networkIsFused)
        {
            throw new InvalidOperationException(
                $"The checkpoint was saved after FuseBatchNorm() (it has the key '{FusedMarkerKey}'): its layers already hold the folded batch norm, and loading it into an unfused {name} would apply batch norm twice. Nothing was loaded. Call eval() and FuseBatchNorm() on the network first, then load it; to train, load a checkpoint saved before fusing.");
        }

        if (!checkpointIsFused && networkIsFused)
        {
            throw new InvalidOperationException(
                $"{name} was folded by FuseBatchNorm(), but the checkpoint was saved unfused (no key '{FusedMarkerKey}'): its layers would run without their batch norm. Nothing was loaded. Load it into a new {name}, then call eval() and FuseBatchNorm().");
        }
    }

    /// <summary>The class name as the user wrote it: <c>Net</c>, not <c>Net`1</c>.</summary>
    internal static string NameOf(nn.Module network)
    {
        string name = network.GetType().Name;
        int arity = name.IndexOf('`');
        return arity < 0 ? name : name.Substring(0, arity);
    }
}
