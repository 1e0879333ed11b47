namespace BnGen.Sample.Mnist.Training;

/// <summary>How both networks are trained.</summary>
public sealed record TrainingOptions(int Epochs, int BatchSize, double LearningRate, double Momentum, long Seed)
{
    /// <summary>Steps over which the running training loss is averaged.</summary>
    public const int RunningLossWindow = 20;

    /// <summary>
    /// Batches per epoch over <paramref name="trainCount"/> images. A trailing batch of a single image is
    /// dropped: batch norm cannot train on one value per channel (PyTorch refuses it too).
    /// </summary>
    public int StepsPerEpoch(long trainCount)
    {
        long steps = (trainCount + BatchSize - 1) / BatchSize;
        if (trainCount % BatchSize == 1 && steps > 1)
            steps--;
        return (int)steps;
    }
}
