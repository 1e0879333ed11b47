namespace BnGen.Sample.Mnist.Training;

/// <summary>How both networks are trained.</summary>
public sealed record TrainingOptions(int Epochs, int BatchSize, double LearningRate, double Momentum, long Seed)
{
    /// <summary>Steps over which the running training loss is averaged.</summary>
    public const int RunningLossWindow = 20;
}
