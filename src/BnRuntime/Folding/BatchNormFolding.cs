using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Folds a site's eval-mode transform into the layer before it, so inference runs one layer instead of two
/// (PyTorch's <c>fuse_linear_bn_eval</c> / <c>fuse_conv_bn_eval</c>). With
/// <c>scale = weight / sqrt(running_var + eps)</c> per output channel:
/// <c>W' = W · scale</c> and <c>b' = (b − running_mean) · scale + bias</c>.
/// </summary>
/// <remarks>
/// The layer's parameters are changed in place (a layer built with <c>hasBias: false</c> gains a bias); the
/// arithmetic runs in float64 and is rounded once to the layer's dtype. The site itself is left unchanged.
/// </remarks>
public static class BatchNormFolding
{
    /// <summary>Folds <paramref name="site"/> into the Linear layer that feeds it.</summary>
    /// <exception cref="InvalidOperationException">The site is in training mode or has no running statistics.</exception>
    /// <exception cref="ArgumentException">The layer's out_features differ from the site's channels.</exception>
    public static void FoldInto(Linear layer, BatchNormSite site)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(site);
        Fold(layer, layer.weight, layer.out_features, "Linear", site, bias => layer.bias = bias, layer.bias);
    }

    /// <summary>Folds <paramref name="site"/> into the Conv1d, Conv2d or Conv3d layer that feeds it.</summary>
    /// <exception cref="InvalidOperationException">The site is in training mode or has no running statistics.</exception>
    /// <exception cref="ArgumentException">The layer is transposed, or its out_channels differ from the site's channels.</exception>
    public static void FoldInto(Convolution layer, BatchNormSite site)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(site);
        if (layer.transposed)
            throw new ArgumentException($"Cannot fold batch-norm site '{site.SiteName}' into a transposed convolution: its weight is laid out [in, out, ...].", nameof(layer));
        Fold(layer, layer.weight, layer.out_channels, layer.GetType().Name, site, bias => layer.bias = bias, layer.bias);
    }

    private static void Fold(nn.Module layer, Parameter? layerWeight, long outputs, string layerKind, BatchNormSite site, Action<Parameter> setBias, Parameter? layerBias)
    {
        if (site.training)
            throw new InvalidOperationException($"Cannot fold batch-norm site '{site.SiteName}' while it is in training mode: call eval() first (folding uses the running statistics).");
        if (site.RunningMean is null || site.RunningVar is null)
            throw new InvalidOperationException($"Cannot fold batch-norm site '{site.SiteName}': it was created with trackRunningStats: false, so it normalizes with batch statistics even in eval mode and has no fixed transform to fold.");
        if (layerWeight is null)
            throw new ArgumentException($"Cannot fold batch-norm site '{site.SiteName}': the {layerKind} layer has no weight.", nameof(layer));
        if (outputs != site.NumFeatures)
            throw new ArgumentException($"Cannot fold batch-norm site '{site.SiteName}' ({site.NumFeatures} channels) into a {layerKind} layer with {outputs} outputs.", nameof(layer));

        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();

        var invStd = site.RunningVar.to(float64).add(site.Epsilon).rsqrt();
        var scale = site.Weight is null ? invStd : site.Weight.detach().to(float64).mul(invStd);
        var shift = site.Bias is null ? zeros_like(scale) : site.Bias.detach().to(float64);

        // Broadcast the per-output-channel scale over the rest of the weight: [out, 1, ...].
        var perChannelShape = new long[layerWeight.Dimensions];
        Array.Fill(perChannelShape, 1L);
        perChannelShape[0] = outputs;
        var foldedWeight = layerWeight.detach().to(float64).mul(scale.reshape(perChannelShape));

        var oldBias = layerBias is null ? zeros_like(scale) : layerBias.detach().to(float64);
        var foldedBias = oldBias.sub(site.RunningMean.to(float64)).mul(scale).add(shift);

        layerWeight.copy_(foldedWeight);
        if (layerBias is null)
            setBias(new Parameter(foldedBias.to(layerWeight.dtype).MoveToOuterDisposeScope(), requires_grad: layerWeight.requires_grad));
        else
            layerBias.copy_(foldedBias);
    }
}
