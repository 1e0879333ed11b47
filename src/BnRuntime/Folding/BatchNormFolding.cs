using System;
using System.Diagnostics.CodeAnalysis;
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
/// arithmetic runs in float64 and is rounded once to the layer's dtype. The site keeps its parameters and
/// statistics but is marked <see cref="BatchNormSite.IsFolded"/>: from then on it passes its input through, so the
/// transform is never applied twice, and folding it again is refused.
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

    /// <summary>
    /// Folds <paramref name="site"/> into the Conv1d/2d/3d or ConvTranspose1d/2d/3d layer that feeds it. A transposed
    /// convolution's weight is laid out <c>[in, out / groups, k…]</c>: output channel <c>g·(out/groups) + j</c> is
    /// column <c>j</c> of group <c>g</c>'s rows, and is scaled there (stride, padding, dilation and output padding
    /// do not touch the weight's layout).
    /// </summary>
    /// <exception cref="InvalidOperationException">The site is in training mode or has no running statistics.</exception>
    /// <exception cref="ArgumentException">The layer's out_channels differ from the site's channels.</exception>
    public static void FoldInto(Convolution layer, BatchNormSite site)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(site);
        Fold(layer, layer.weight, layer.out_channels, layer.GetType().Name, site, bias => layer.bias = bias, layer.bias,
            layer.transposed ? layer.groups : null);
    }

    /// <summary>Refuses what <see cref="FoldInto(Linear, BatchNormSite)"/> would refuse, changing nothing.</summary>
    internal static void Check(Linear layer, BatchNormSite site) => Check(layer.weight, layer.out_features, "Linear", site);

    /// <summary>Refuses what <see cref="FoldInto(Convolution, BatchNormSite)"/> would refuse, changing nothing.</summary>
    internal static void Check(Convolution layer, BatchNormSite site) => Check(layer.weight, layer.out_channels, layer.GetType().Name, site);

    private static void Check([NotNull] Parameter? layerWeight, long outputs, string layerKind, BatchNormSite site)
    {
        if (site.IsFolded)
            throw new InvalidOperationException($"Batch-norm site '{site.SiteName}' is already folded into a layer; folding it again would apply it twice.");
        if (site.training)
            throw new InvalidOperationException($"Cannot fold batch-norm site '{site.SiteName}' while it is in training mode: call eval() first (folding uses the running statistics).");
        if (site.RunningMean is null || site.RunningVar is null)
            throw new InvalidOperationException($"Cannot fold batch-norm site '{site.SiteName}': it was created with trackRunningStats: false, so it normalizes with batch statistics even in eval mode and has no fixed transform to fold.");
        if (layerWeight is null)
            throw new ArgumentException($"Cannot fold batch-norm site '{site.SiteName}': the {layerKind} layer has no weight.", "layer");
        if (outputs != site.NumFeatures)
            throw new ArgumentException($"Cannot fold batch-norm site '{site.SiteName}' ({site.NumFeatures} channels) into a {layerKind} layer with {outputs} outputs.", "layer");
    }

    private static void Fold(nn.Module layer, Parameter? layerWeight, long outputs, string layerKind, BatchNormSite site, Action<Parameter> setBias, Parameter? layerBias, long? transposedGroups = null)
    {
        Check(layerWeight, outputs, layerKind, site);
        FoldTransform(layerWeight, setBias, layerBias, transposedGroups, site.Weight, site.Bias, site.RunningMean!, site.RunningVar!, site.Epsilon);
        site.MarkFolded();
    }

    /// <summary>The folding arithmetic, for a site or TorchSharp's own BatchNorm: the layer absorbs the eval-mode transform.</summary>
    internal static void FoldInto(nn.Module layer, Tensor? gamma, Tensor? beta, Tensor runningMean, Tensor runningVar, double eps)
    {
        switch (layer)
        {
            case Linear linear:
                FoldTransform(linear.weight!, bias => linear.bias = bias, linear.bias, null, gamma, beta, runningMean, runningVar, eps);
                break;
            case Convolution convolution:
                FoldTransform(convolution.weight!, bias => convolution.bias = bias, convolution.bias, convolution.transposed ? convolution.groups : null, gamma, beta, runningMean, runningVar, eps);
                break;
            default:
                throw new ArgumentException($"a {layer.GetType().Name} is not a Linear or Conv layer", nameof(layer));
        }
    }

    private static void FoldTransform(Parameter layerWeight, Action<Parameter> setBias, Parameter? layerBias, long? transposedGroups, Tensor? gamma, Tensor? beta, Tensor runningMean, Tensor runningVar, double eps)
    {
        using var noGrad = torch.no_grad();
        using var scope = NewDisposeScope();

        var invStd = runningVar.to(float64).add(eps).rsqrt();
        var scale = gamma is null ? invStd : gamma.detach().to(float64).mul(invStd);
        var shift = beta is null ? zeros_like(scale) : beta.detach().to(float64);

        var foldedWeight = transposedGroups is { } groups
            ? ScaleTransposedWeight(layerWeight.detach().to(float64), scale, groups)
            : ScaleWeight(layerWeight.detach().to(float64), scale);

        var oldBias = layerBias is null ? zeros_like(scale) : layerBias.detach().to(float64);
        var foldedBias = oldBias.sub(runningMean.to(float64)).mul(scale).add(shift);

        layerWeight.copy_(foldedWeight);
        if (layerBias is null)
            setBias(new Parameter(foldedBias.to(layerWeight.dtype).MoveToOuterDisposeScope(), requires_grad: layerWeight.requires_grad));
        else
            layerBias.copy_(foldedBias);
    }

    /// <summary>A plain layer's weight is <c>[out, …]</c>: broadcast the per-output-channel scale as <c>[out, 1, …]</c>.</summary>
    private static Tensor ScaleWeight(Tensor weight, Tensor scale)
    {
        var shape = new long[weight.Dimensions];
        Array.Fill(shape, 1L);
        shape[0] = scale.shape[0];
        return weight.mul(scale.reshape(shape));
    }

    /// <summary>
    /// A transposed convolution's weight is <c>[in, out/groups, k…]</c>. Viewed as <c>[groups, in/groups, out/groups, k…]</c>,
    /// output channel <c>g·(out/groups) + j</c> is <c>[g, :, j, …]</c>, so the scale broadcasts as <c>[groups, 1, out/groups, 1…]</c>.
    /// </summary>
    private static Tensor ScaleTransposedWeight(Tensor weight, Tensor scale, long groups)
    {
        long outputsPerGroup = weight.shape[1];
        var grouped = new long[weight.Dimensions + 1];
        grouped[0] = groups;
        grouped[1] = weight.shape[0] / groups;
        Array.Copy(weight.shape, 1, grouped, 2, weight.Dimensions - 1);
        var scaleShape = new long[grouped.Length];
        Array.Fill(scaleShape, 1L);
        scaleShape[0] = groups;
        scaleShape[2] = outputsPerGroup;
        return weight.reshape(grouped).mul(scale.reshape(scaleShape)).reshape(weight.shape);
    }
}
