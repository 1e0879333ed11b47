using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Frozen batch norm for fine-tuning, as torchvision's <c>FrozenBatchNorm2d</c> and detectron2 use it: every batch norm of
/// a tree — BnGen's sites and TorchSharp's <c>BatchNorm1d/2d/3d</c> — normalizes with its running statistics and never
/// updates them, even while the rest of the network trains; γ/β are frozen too, or trainable if you ask. The state
/// survives <c>train()</c> from any parent (the classic pitfall where <c>model.train()</c> silently unfreezes batch norm)
/// and is undone by <see cref="Unfreeze"/>. Checkpoints are unchanged: the same keys, loadable by PyTorch.
/// </summary>
public static class BatchNormFreezing
{
    private sealed record Frozen(Action RemoveHook, bool? WeightRequiresGrad, bool? BiasRequiresGrad);

    private static readonly ConditionalWeakTable<nn.Module, Frozen> FrozenModules = new();

    /// <summary>Whether <paramref name="batchNorm"/> (a site or TorchSharp's module) is frozen.</summary>
    public static bool IsFrozen(nn.Module batchNorm) => batchNorm is BatchNormSite site ? site.IsFrozen : FrozenModules.TryGetValue(batchNorm, out _);

    /// <summary>Freezes every batch norm in <paramref name="root"/>'s tree (those frozen already stay as they are).</summary>
    /// <param name="root">A generated network, a block, or any TorchSharp module tree.</param>
    /// <param name="trainAffine">Keep γ and β trainable (their <c>requires_grad</c> unchanged) instead of freezing them.</param>
    /// <returns>How many batch norms are frozen now.</returns>
    /// <exception cref="InvalidOperationException">A site is folded for inference, or keeps no running statistics
    /// (nothing to normalize with); the message names its path. Nothing was changed.</exception>
    public static int Freeze(nn.Module root, bool trainAffine = false)
    {
        ArgumentNullException.ThrowIfNull(root);
        var found = BatchNorms(root);
        foreach (var (path, module, _, _, runningMean) in found)
        {
            if (module is BatchNormSite { IsFolded: true })
                throw new InvalidOperationException($"Cannot freeze '{path}': it is folded for inference (FuseBatchNorm). Nothing was changed.");
            if (runningMean is null)
                throw new InvalidOperationException($"Cannot freeze '{path}': it keeps no running statistics (trackRunningStats: false), so it has nothing to normalize with but the batch. Nothing was changed.");
        }

        foreach (var (_, module, weight, bias, _) in found)
        {
            if (IsFrozen(module))
                continue;
            var hook = module.register_forward_pre_hook(StayInEval);
            var state = new Frozen(() => hook.remove(), weight?.requires_grad, bias?.requires_grad);
            if (!trainAffine)
            {
                weight?.requires_grad_(false);
                bias?.requires_grad_(false);
            }

            module.train(false);
            FrozenModules.Add(module, state);
            if (module is BatchNormSite site)
                site.IsFrozen = true;
        }

        return found.Count;
    }

    /// <summary>Undoes <see cref="Freeze"/> for every batch norm in the tree: γ/β get their <c>requires_grad</c> back, and
    /// the next <c>train()</c> trains them normally again.</summary>
    /// <returns>How many were unfrozen.</returns>
    public static int Unfreeze(nn.Module root)
    {
        ArgumentNullException.ThrowIfNull(root);
        int count = 0;
        foreach (var (_, module, weight, bias, _) in BatchNorms(root))
        {
            if (!FrozenModules.TryGetValue(module, out var state))
                continue;
            state.RemoveHook();
            if (state.WeightRequiresGrad is { } w)
                weight?.requires_grad_(w);
            if (state.BiasRequiresGrad is { } b)
                bias?.requires_grad_(b);
            FrozenModules.Remove(module);
            if (module is BatchNormSite site)
                site.IsFrozen = false;
            count++;
        }

        return count;
    }

    // A parent's train() reaches every child; the hook puts a frozen batch norm back in eval mode before it runs.
    private static Tensor StayInEval(nn.Module<Tensor, Tensor> module, Tensor input)
    {
        if (module.training)
            module.train(false);
        return input;
    }

    internal static List<(string Path, nn.Module<Tensor, Tensor> Module, Tensor? Weight, Tensor? Bias, Tensor? RunningMean)> BatchNorms(nn.Module root)
    {
        var found = new List<(string, nn.Module<Tensor, Tensor>, Tensor?, Tensor?, Tensor?)>();
        foreach (var (path, module) in root.named_modules())
        {
            string where = path.Length == 0 ? root.GetName() : path;
            if (module is BatchNormSite site)
                found.Add((where, site, site.Weight, site.Bias, site.RunningMean));
            else if (module is BatchNorm native)
                found.Add((where, native, native.weight, native.bias, native.running_mean));
        }

        return found;
    }
}
