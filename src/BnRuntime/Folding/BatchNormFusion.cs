using System;
using System.Collections.Generic;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Folds the batch normalization of a whole TorchSharp module tree for inference, as PyTorch's
/// <c>fuse_modules</c> does for named pairs and TorchSharp does not at all: every <see cref="BatchNormalizedAttribute"/>
/// network in the tree runs its <c>FuseBatchNorm()</c>; a site created with <see cref="BatchNormSite.After(Linear, string, double, double, bool, bool, bool, bool)"/>
/// folds into the layer it was created after (<see cref="BatchNormSite.Layer"/>); and in every <see cref="Sequential"/> a
/// Linear, Conv or ConvTranspose layer directly followed by a <see cref="BatchNormSite"/> absorbs it (TorchVision's
/// <c>downsample = Sequential(conv, bn)</c>). The tree is walked once, and every problem is reported before
/// anything changes.
/// </summary>
public static class BatchNormFusion
{
    /// <summary>Folds every site in <paramref name="root"/>'s tree. Needs eval mode throughout.</summary>
    /// <exception cref="InvalidOperationException">A module is in training mode, a site keeps no running statistics,
    /// or a Sequential pairs a layer with TorchSharp's own BatchNorm module (the message names its path); nothing was changed.</exception>
    public static void Fuse(nn.Module root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (root is IBatchNormFusable network)
        {
            network.FuseBatchNorm();
            return;
        }

        if (root.training)
            throw new InvalidOperationException($"Cannot fuse batch norm of '{root.GetName()}' in training mode: call eval() first (folding uses the running statistics).");
        PlanChildren(root).Apply();
    }

    /// <summary>What folding <paramref name="owner"/>'s children will do, checked in full, so that a problem anywhere in the tree changes nothing.</summary>
    /// <exception cref="InvalidOperationException">As <see cref="Fuse"/>.</exception>
    internal static Plan PlanChildren(nn.Module owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var plan = new Plan();
        foreach (var (name, child) in owner.named_children())
            Visit(child, name, plan);
        return plan;
    }

    private static void Visit(nn.Module module, string path, Plan plan)
    {
        if (module.training && module is not BatchNormSite { IsFolded: true })
            throw new InvalidOperationException($"Cannot fuse batch norm: '{path}' is in training mode. Call eval() on the whole network first.");

        if (module is IBatchNormFusable network)
        {
            // It folds its own subtree, and checks it the same way.
            plan.Networks.Add(network);
            PlanChildren(module);
            return;
        }

        if (module is BatchNormSite { IsFolded: false, Layer: { } layer } bound)
            plan.Add(layer, bound, path);

        if (module is Sequential sequential)
            PlanPairs(sequential, path, plan);

        foreach (var (name, child) in module.named_children())
            Visit(child, path + "." + name, plan);
    }

    private static void PlanPairs(Sequential sequential, string path, Plan plan)
    {
        var children = new List<(string Name, nn.Module Module)>(sequential.named_children());
        for (int i = 0; i + 1 < children.Count; i++)
        {
            var layer = children[i].Module;
            var next = children[i + 1];
            if (layer is not (Linear or Convolution))
                continue;
            if (next.Module is BatchNormSite { IsFolded: false, Layer: null } site)
            {
                plan.Add(layer, site, path + "." + next.Name);
            }
            else if (next.Module is BatchNorm)
            {
                throw new InvalidOperationException(
                    $"Cannot fuse batch norm: '{path}.{next.Name}' is TorchSharp's {next.Module.GetType().Name}, which cannot pass its input through once folded into '{path}.{children[i].Name}'. Build the Sequential with new BatchNormSite(\"{next.Name}\", channels) instead: same computation, same state_dict keys.");
            }
        }
    }

    /// <summary>The folds and fusions a tree needs, checked and not yet done.</summary>
    internal sealed class Plan
    {
        internal List<(nn.Module Layer, BatchNormSite Site)> Pairs { get; } = new();

        internal List<IBatchNormFusable> Networks { get; } = new();

        /// <summary>Plans folding <paramref name="site"/> into <paramref name="layer"/>, refusing now what the fold would refuse.</summary>
        internal void Add(nn.Module layer, BatchNormSite site, string path)
        {
            try
            {
                if (layer is Linear linear)
                    BatchNormFolding.Check(linear, site);
                else if (layer is Convolution convolution)
                    BatchNormFolding.Check(convolution, site);
                else
                    throw new InvalidOperationException($"its layer is a {layer.GetType().Name}, not a Linear or Conv layer");
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                throw new InvalidOperationException($"{e.Message} Path: '{path}'. Nothing was changed.", e);
            }

            Pairs.Add((layer, site));
        }

        /// <summary>Folds each planned pair and fuses each planned network.</summary>
        public void Apply()
        {
            foreach (var (layer, site) in Pairs)
            {
                if (layer is Linear linear)
                    BatchNormFolding.FoldInto(linear, site);
                else
                    BatchNormFolding.FoldInto((Convolution)layer, site);
            }

            foreach (var network in Networks)
                network.FuseBatchNorm();
        }
    }
}
