using System;
using System.Runtime.CompilerServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Folds TorchSharp's own <c>BatchNorm1d/2d/3d</c> into the layer before it, for models BnGen did not write (TorchVision.NET's
/// among them). After the fold the module is taken out of its parent's forward: a <see cref="FoldedBatchNorm"/> that
/// hands its input on takes its place (<see cref="ChildReplacement"/>), so the fused model runs one kernel less per fold.
/// The module itself is also neutralized in place — γ = 1, β = 0, running mean 0 and running variance 1 − eps, its eval
/// transform the identity up to float rounding (a few parts in 10⁸) — with a forward pre-hook refusing training: a
/// forward that still reaches it (the parent keeps it in a place the replacement cannot see, or the caller held on
/// to it) then computes the right thing instead of normalizing twice.
/// </summary>
internal static class NativeBatchNormFolding
{
    private static readonly ConditionalWeakTable<BatchNorm, string> Folded = new();

    public static bool IsFolded(BatchNorm module) => Folded.TryGetValue(module, out _);

    /// <summary>Refuses, changing nothing, what <see cref="FoldInto"/> would refuse.</summary>
    /// <exception cref="InvalidOperationException">The module is folded already, is training, keeps no running statistics, or its width differs from the layer's.</exception>
    public static void Check(nn.Module layer, BatchNorm module, string path, string layerPath)
    {
        if (IsFolded(module))
            throw new InvalidOperationException($"'{path}' is already folded into '{layerPath}'; folding it again would apply it twice. Nothing was changed.");
        if (module.training)
            throw new InvalidOperationException($"Cannot fuse batch norm: '{path}' is in training mode. Call eval() on the whole network first. Nothing was changed.");
        if (module.running_mean is null || module.running_var is null)
            throw new InvalidOperationException($"Cannot fold '{path}': it keeps no running statistics (track_running_stats: false), so it normalizes with batch statistics in eval too. Nothing was changed.");
        long outputs = layer switch
        {
            Linear linear => linear.out_features,
            Convolution convolution => convolution.out_channels,
            _ => -1,
        };
        if (outputs != module.num_features)
            throw new InvalidOperationException($"Cannot fold '{path}' ({module.num_features} channels) into '{layerPath}' ({outputs} outputs). Nothing was changed.");
    }

    /// <summary>Folds <paramref name="module"/>, the child <paramref name="name"/> of <paramref name="owner"/>, into <paramref name="layer"/>.</summary>
    /// <returns>Whether the owner's forward no longer calls the module (it was replaced, not only neutralized).</returns>
    public static bool FoldInto(nn.Module layer, BatchNorm module, nn.Module owner, string name, string path, string layerPath)
    {
        BatchNormFolding.FoldInto(layer, module.weight, module.bias, module.running_mean!, module.running_var!, module.eps);
        using (no_grad())
        {
            module.weight?.fill_(1);
            module.bias?.zero_();
            module.running_mean!.zero_();
            module.running_var!.fill_(1 - module.eps);
        }

        Folded.Add(module, layerPath);
        string refusal = TrainingRefusal(path, layerPath);
        module.register_forward_pre_hook((self, input) => self.training ? throw new InvalidOperationException(refusal) : input);
        var replacement = new FoldedBatchNorm(path, layerPath);
        replacement.eval(); // a new module starts in training mode; fusion runs in eval
        return ChildReplacement.TryReplace(owner, name, module, replacement);
    }

    /// <summary>Why a folded batch norm refuses to run in training mode.</summary>
    public static string TrainingRefusal(string path, string layerPath) =>
        $"'{path}' was folded into '{layerPath}' by BatchNormFusion.Fuse and now passes its input through in eval mode; the model cannot train again. Load its unfused weights into a new instance to train.";
}
