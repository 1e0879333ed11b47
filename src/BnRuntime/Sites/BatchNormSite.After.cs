using System;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen;

public sealed partial class BatchNormSite
{
    /// <summary>
    /// Creates the site that normalizes <paramref name="layer"/>'s output: <c>out_features</c> channels, [N, C] input,
    /// on the layer's device and dtype, bound to the layer so that folding knows where it goes.
    /// </summary>
    /// <param name="layer">The Linear layer the site follows.</param>
    /// <param name="name">The site's module name (e.g. <c>fc1_bn</c>); error messages use it.</param>
    /// <param name="momentum">Weight of the new batch value in the running averages, in (0, 1].</param>
    /// <param name="eps">Added to the variance before the square root; positive and finite.</param>
    /// <param name="affine">Whether the site has a learnable per-channel weight and bias.</param>
    /// <param name="trackRunningStats">Whether the site keeps running statistics and uses them in eval mode.</param>
    /// <param name="cumulativeAverage">Average all batches equally (PyTorch <c>momentum=None</c>) instead of using <paramref name="momentum"/>.</param>
    /// <param name="keepFloat32">Keep the site in float32 under a float16 or bfloat16 network (<see cref="KeepsFloat32"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="layer"/> is null: assign it before creating its site.</exception>
    public static BatchNormSite After(
        Linear layer,
        string name,
        double momentum = BatchNormDefaults.Momentum,
        double eps = BatchNormDefaults.Epsilon,
        bool affine = true,
        bool trackRunningStats = true,
        bool cumulativeAverage = false,
        bool keepFloat32 = false)
    {
        RequireLayer(layer, name);
        return new BatchNormSite(name, layer.out_features, momentum, eps, affine, trackRunningStats, cumulativeAverage, layer.weight!.device, SiteDType(layer.weight.dtype, keepFloat32), BatchNormInputKind.Dense)
        {
            Layer = layer,
            KeepsFloat32 = keepFloat32,
        };
    }

    /// <summary>
    /// Creates the site that normalizes <paramref name="layer"/>'s output: <c>out_channels</c> channels, the input
    /// rank of the convolution's dimensionality ([N, C, L], [N, C, H, W] or [N, C, D, H, W]; a transposed convolution
    /// produces what the plain one does), on the layer's device and dtype, bound to the layer for folding.
    /// </summary>
    /// <param name="layer">The Conv1d/2d/3d or ConvTranspose1d/2d/3d layer the site follows.</param>
    /// <param name="name">The site's module name (e.g. <c>bn1</c>); error messages use it.</param>
    /// <param name="momentum">Weight of the new batch value in the running averages, in (0, 1].</param>
    /// <param name="eps">Added to the variance before the square root; positive and finite.</param>
    /// <param name="affine">Whether the site has a learnable per-channel weight and bias.</param>
    /// <param name="trackRunningStats">Whether the site keeps running statistics and uses them in eval mode.</param>
    /// <param name="cumulativeAverage">Average all batches equally (PyTorch <c>momentum=None</c>) instead of using <paramref name="momentum"/>.</param>
    /// <param name="keepFloat32">Keep the site in float32 under a float16 or bfloat16 network (<see cref="KeepsFloat32"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="layer"/> is null: assign it before creating its site.</exception>
    public static BatchNormSite After(
        Convolution layer,
        string name,
        double momentum = BatchNormDefaults.Momentum,
        double eps = BatchNormDefaults.Epsilon,
        bool affine = true,
        bool trackRunningStats = true,
        bool cumulativeAverage = false,
        bool keepFloat32 = false)
    {
        RequireLayer(layer, name);
        // A convolution's weight is [out, in / groups, k…] (transposed: [in, out / groups, k…]): one kernel dimension per spatial one.
        var input = (layer.weight!.Dimensions - 2) switch
        {
            1 => BatchNormInputKind.Conv1d,
            2 => BatchNormInputKind.Conv2d,
            3 => BatchNormInputKind.Conv3d,
            long d => throw new ArgumentException($"Batch-norm site '{name}': a {d}-d convolution has no batch-norm input kind.", nameof(layer)),
        };
        return new BatchNormSite(name, layer.out_channels, momentum, eps, affine, trackRunningStats, cumulativeAverage, layer.weight.device, SiteDType(layer.weight.dtype, keepFloat32), input)
        {
            Layer = layer,
            KeepsFloat32 = keepFloat32,
        };
    }

    /// <summary>The layer's dtype, except float32 for a float32-keeping site after a half-precision layer.</summary>
    private static ScalarType SiteDType(ScalarType layer, bool keepFloat32) =>
        keepFloat32 && layer is ScalarType.Float16 or ScalarType.BFloat16 ? ScalarType.Float32 : layer;

    private static void RequireLayer(nn.Module? layer, string name)
    {
        if (layer is null)
            throw new ArgumentNullException(nameof(layer), $"Batch-norm site '{name}': its layer is null. Assign every layer before its site is created (InitializeBatchNorm() runs after the field initializers, or where your constructor calls it).");
    }
}
