namespace BnGen.Generator.Model;

/// <summary>What follows from a layer's kind for the site after it.</summary>
internal static class LayerKindFacts
{
    /// <summary>Linear, Conv1d/2d/3d and ConvTranspose1d/2d/3d: the layers a site can follow.</summary>
    public static bool CanBeFollowedBySite(this LayerKind kind) => kind.SiteInput() is not null;

    /// <summary>
    /// The input the site after this layer receives, named by the plain layer that produces it: Linear for
    /// [N, C], Conv1d for [N, C, L], Conv2d for [N, C, H, W], Conv3d for [N, C, D, H, W]; null for other kinds.
    /// A transposed convolution produces what the plain one of its rank does.
    /// </summary>
    public static LayerKind? SiteInput(this LayerKind kind) => kind switch
    {
        LayerKind.Linear => LayerKind.Linear,
        LayerKind.Conv1d or LayerKind.ConvTranspose1d => LayerKind.Conv1d,
        LayerKind.Conv2d or LayerKind.ConvTranspose2d => LayerKind.Conv2d,
        LayerKind.Conv3d or LayerKind.ConvTranspose3d => LayerKind.Conv3d,
        _ => null,
    };
}
