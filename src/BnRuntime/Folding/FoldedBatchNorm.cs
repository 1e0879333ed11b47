using System;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// What <see cref="BatchNormFusion.Fuse"/> puts where TorchSharp's own <c>BatchNorm1d/2d/3d</c> was, once that module's
/// transform lives in the layer before it: in eval it hands its input on (as <c>nn.Identity</c> does, and as PyTorch's
/// <c>fuse_modules</c> leaves an <c>Identity</c> behind), so the fused forward runs no batch-norm kernel at all; in
/// training it refuses, because the layer already holds what batch norm would normalize again.
/// </summary>
internal sealed class FoldedBatchNorm : nn.Module<Tensor, Tensor>
{
    private readonly string _refusal;

    public FoldedBatchNorm(string path, string layerPath) : base(nameof(FoldedBatchNorm))
    {
        Path = path;
        LayerPath = layerPath;
        _refusal = NativeBatchNormFolding.TrainingRefusal(path, layerPath);
    }

    /// <summary>Where the folded module was, from the module <see cref="BatchNormFusion.Fuse"/> was called on.</summary>
    public string Path { get; }

    /// <summary>The layer that absorbed it.</summary>
    public string LayerPath { get; }

    public override Tensor forward(Tensor input)
    {
        if (training)
            throw new InvalidOperationException(_refusal);

        // A new handle on the same storage: a Sequential disposes what it passes on, so the input's own handle must
        // stay the caller's.
        return input.alias();
    }
}
