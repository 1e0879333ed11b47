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
/// <c>downsample = Sequential(conv, bn)</c>). TorchSharp's own <c>BatchNorm1d/2d/3d</c> folds too, where TorchVision.NET's
/// models put it: after its layer in a <c>Sequential</c>, or as a field <c>bnK</c> (or <c>x_bn</c>) beside the layer
/// <c>convK</c> / <c>fcK</c> (or <c>x</c>) that a hand-written forward calls before it — and then leaves the forward, as
/// PyTorch's <c>fuse_modules</c> leaves an <c>Identity</c> (see <see cref="NativeBatchNormFolding"/>). The tree is walked once, and every problem is reported, with its path from
/// the module you called, before anything changes.
/// </summary>
public static class BatchNormFusion
{
    /// <summary>Folds every site in <paramref name="root"/>'s tree. Needs eval mode throughout.</summary>
    /// <exception cref="InvalidOperationException">A module is in training mode, a site keeps no running statistics, or a
    /// TorchSharp BatchNorm follows no layer it can be folded into (the message names its path); nothing was changed.</exception>
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
    /// <param name="owner">The module whose children are planned.</param>
    /// <param name="prefix">The owner's path from the module the user called, so messages name paths from there.</param>
    internal static Plan PlanChildren(nn.Module owner, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(owner);
        var plan = new Plan();
        if (owner is Sequential sequential)
            PlanPairs(sequential, prefix, plan);
        else
            PlanFields(owner, prefix, plan);
        foreach (var (name, child) in owner.named_children())
            Visit(child, Join(prefix, name), plan);
        return plan;
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

    private static void Visit(nn.Module module, string path, Plan plan)
    {
        if (module.training && module is not BatchNormSite { IsFolded: true })
            throw new InvalidOperationException($"Cannot fuse batch norm: '{path}' is in training mode. Call eval() on the whole network first.");

        if (module is IBatchNormFusable network)
        {
            // It folds its own subtree, and checks it the same way, naming paths from here.
            plan.Networks.Add(network);
            PlanChildren(module, path);
            return;
        }

        if (module is BatchNormSite { IsFolded: false, Layer: { } layer } bound)
            plan.Add(layer, bound, path);

        if (module is BatchNorm native && !plan.Plans(native) && !NativeBatchNormFolding.IsFolded(native))
        {
            throw new InvalidOperationException(
                $"Cannot fuse batch norm: '{path}' is TorchSharp's {module.GetType().Name}, and BnGen cannot tell which layer it follows (it folds one that comes right after its layer in a Sequential, or a field bnK beside convK or fcK). Nothing was changed.");
        }

        if (module is Sequential sequential)
            PlanPairs(sequential, path, plan);
        else
            PlanFields(module, path, plan);

        foreach (var (name, child) in module.named_children())
            Visit(child, path + "." + name, plan);
    }

    /// <summary>TorchVision's layout in a hand-written forward: a field bnK after the field convK (or fcK), or x_bn after x.</summary>
    private static void PlanFields(nn.Module module, string path, Plan plan)
    {
        var children = new Dictionary<string, nn.Module>();
        foreach (var (name, child) in module.named_children())
            children[name] = child;
        foreach (var (name, child) in children)
        {
            if (child is not BatchNorm native || NativeBatchNormFolding.IsFolded(native))
                continue;
            foreach (string candidate in LayerNamesFor(name))
            {
                if (children.TryGetValue(candidate, out var layer) && layer is Linear or Convolution)
                {
                    plan.AddNative(layer, native, module, name, Join(path, name), Join(path, candidate));
                    break;
                }
            }
        }
    }

    private static IEnumerable<string> LayerNamesFor(string batchNorm)
    {
        if (batchNorm.StartsWith("bn", StringComparison.Ordinal))
        {
            yield return "conv" + batchNorm[2..];
            yield return "fc" + batchNorm[2..];
        }

        if (batchNorm.EndsWith("_bn", StringComparison.Ordinal))
            yield return batchNorm[..^3];
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
                plan.Add(layer, site, Join(path, next.Name));
            else if (next.Module is BatchNorm native && !NativeBatchNormFolding.IsFolded(native))
                plan.AddNative(layer, native, sequential, next.Name, Join(path, next.Name), Join(path, children[i].Name));
        }
    }

    /// <summary>TorchSharp's <paramref name="Module"/>, child <paramref name="Name"/> of <paramref name="Owner"/>, to be folded into <paramref name="Layer"/>.</summary>
    internal sealed record NativeFold(nn.Module Layer, BatchNorm Module, nn.Module Owner, string Name, string Path, string LayerPath);

    /// <summary>The folds and fusions a tree needs, checked and not yet done.</summary>
    internal sealed class Plan
    {
        internal List<(nn.Module Layer, BatchNormSite Site)> Pairs { get; } = new();

        internal List<IBatchNormFusable> Networks { get; } = new();

        internal List<NativeFold> NativePairs { get; } = new();

        internal bool Plans(BatchNorm module) => NativePairs.Exists(p => ReferenceEquals(p.Module, module));

        /// <summary>Plans folding TorchSharp's <paramref name="module"/> into <paramref name="layer"/>, refusing now what the fold would refuse.</summary>
        internal void AddNative(nn.Module layer, BatchNorm module, nn.Module owner, string name, string path, string layerPath)
        {
            NativeBatchNormFolding.Check(layer, module, path, layerPath);
            NativePairs.Add(new NativeFold(layer, module, owner, name, path, layerPath));
        }

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

            foreach (var fold in NativePairs)
                NativeBatchNormFolding.FoldInto(fold.Layer, fold.Module, fold.Owner, fold.Name, fold.Path, fold.LayerPath);

            foreach (var network in Networks)
                network.FuseBatchNorm();
        }
    }
}
