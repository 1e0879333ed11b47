namespace BnGen.Generator.Model;

/// <summary>What the generator knows about a layer field from its declared type.</summary>
internal enum LayerKind
{
    /// <summary>TorchSharp.Modules.Linear: a dense site follows it.</summary>
    Linear,

    /// <summary>TorchSharp.Modules.Conv1d: a [N, C, L] site follows it.</summary>
    Conv1d,

    /// <summary>TorchSharp.Modules.Conv2d: a [N, C, H, W] site follows it.</summary>
    Conv2d,

    /// <summary>TorchSharp.Modules.Conv3d: a [N, C, D, H, W] site follows it.</summary>
    Conv3d,

    /// <summary>TorchSharp.Modules.ConvTranspose1d: a [N, C, L] site follows it.</summary>
    ConvTranspose1d,

    /// <summary>TorchSharp.Modules.ConvTranspose2d: a [N, C, H, W] site follows it (DCGAN generators, decoders).</summary>
    ConvTranspose2d,

    /// <summary>TorchSharp.Modules.ConvTranspose3d: a [N, C, D, H, W] site follows it.</summary>
    ConvTranspose3d,

    /// <summary>A 2-d pooling module (MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, …): needs [N, C, H, W] (or [C, H, W]); channels pass through.</summary>
    Pool2d,

    /// <summary>A 3-d pooling module: needs [N, C, D, H, W] (or [C, D, H, W]); channels pass through.</summary>
    Pool3d,

    /// <summary>TorchSharp.Modules.Flatten: turns a conv feature map into dense features.</summary>
    Flatten,

    /// <summary>An activation, dropout, pooling or normalization module: the channel count passes through.</summary>
    ShapePreserving,

    /// <summary>Any other Module&lt;Tensor, Tensor&gt;: run as is; the generator cannot reason about its shape.</summary>
    Other,
}
