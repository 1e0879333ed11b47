namespace BnGen;

/// <summary>PyTorch's defaults for batch normalization, used wherever an option is not given.</summary>
public static class BatchNormDefaults
{
    /// <summary>Weight of the new batch statistic in the running averages.</summary>
    public const double Momentum = 0.1;

    /// <summary>Added to the variance before the square root.</summary>
    public const double Epsilon = 1e-5;

    /// <summary>
    /// Converts a momentum written as the weight of the <em>old</em> running value (as in
    /// <c>running = 0.9 * running + 0.1 * batch</c>, the convention of many tutorials and of Keras) to
    /// PyTorch's convention, the weight of the new batch value: <c>1 - weightOfOldValue</c>.
    /// </summary>
    public static double MomentumFromOldValueWeight(double weightOfOldValue) => 1.0 - weightOfOldValue;
}
