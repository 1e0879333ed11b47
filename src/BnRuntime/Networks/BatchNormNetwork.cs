using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
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
        network.register_buffer(FusedMarkerKey, torch.tensor(1L, ScalarType.Int64));
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
    /// <paramref name="site"/> normalizes each feature over the batch; does nothing in eval mode or when the site
    /// combines its statistics across replicas (<see cref="BatchNormSite.StatisticsReducer"/>: this process's slice
    /// may then hold a single sample, and the site itself refuses a global batch of one).
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
        if (!network.training || site.StatisticsReducer is not null || site.IsFolded)
            return;
        if (input.Dimensions >= 1 && input.size(0) >= 2)
            return;
        string shape = "[" + string.Join(", ", Array.ConvertAll(input.shape, d => d.ToString(CultureInfo.InvariantCulture))) + "]";
        throw new ArgumentException(
            $"{NameOf(network)}: training needs a batch of 2 or more, since batch-norm site '{site.SiteName}' normalizes each feature over the batch; got input {shape}. Nothing was changed. Use a larger batch, or call eval() to run one sample.",
            nameof(input));
    }

    /// <summary>Throws when a layer field is still null where the network's sites are created and its modules registered.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="layer"/> is null.</exception>
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
    /// Refuses, before anything is read into the network, a checkpoint written by TorchSharp's <c>save</c> whose
    /// fusion differs from the network's. The reader is left where it was; a stream that cannot seek is not checked.
    /// </summary>
    /// <exception cref="InvalidOperationException">The fusion differs.</exception>
    /// <exception cref="InvalidDataException">The checkpoint is malformed (the message says where); nothing was loaded.</exception>
    public static void CheckCheckpoint(nn.Module network, BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(network);
        CheckCheckpoint(network, CheckpointKeys.Peek(reader));
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
