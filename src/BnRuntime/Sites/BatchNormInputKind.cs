namespace BnGen;

/// <summary>The input a batch-normalization site receives, fixed by the layer it follows.</summary>
public enum BatchNormInputKind
{
    /// <summary>[N, C], after a Linear layer.</summary>
    Dense = 2,

    /// <summary>[N, C, L], after a Conv1d layer.</summary>
    Conv1d = 3,

    /// <summary>[N, C, H, W], after a Conv2d layer.</summary>
    Conv2d = 4,

    /// <summary>[N, C, D, H, W], after a Conv3d layer.</summary>
    Conv3d = 5,
}
