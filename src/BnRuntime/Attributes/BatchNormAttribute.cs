using System;

namespace BnGen;

/// <summary>
/// On a layer field of a <see cref="BatchNormalizedAttribute"/> class: put a batch-normalization site after
/// this layer even where the generator would not (the last layer), and optionally override the class's
/// options for this one site. Options left unset inherit the class's.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class BatchNormAttribute : Attribute
{
    /// <inheritdoc cref="BatchNormalizedAttribute.Momentum"/>
    public double Momentum { get; set; }

    /// <inheritdoc cref="BatchNormalizedAttribute.Epsilon"/>
    public double Epsilon { get; set; }

    /// <inheritdoc cref="BatchNormalizedAttribute.Affine"/>
    public bool Affine { get; set; }

    /// <inheritdoc cref="BatchNormalizedAttribute.TrackRunningStats"/>
    public bool TrackRunningStats { get; set; }

    /// <inheritdoc cref="BatchNormalizedAttribute.CumulativeAverage"/>
    public bool CumulativeAverage { get; set; }

    /// <inheritdoc cref="BatchNormalizedAttribute.KeepFloat32"/>
    public bool KeepFloat32 { get; set; }

    /// <summary>
    /// The name of this layer's site, as a field and as a module (<c>"bn1"</c> gives the state_dict keys
    /// <c>bn1.weight</c>, <c>bn1.running_mean</c>, …, as PyTorch and TorchVision name them). A plain C#
    /// identifier; by default the layer's name followed by <c>_bn</c>.
    /// </summary>
    public string? Name { get; set; }
}
