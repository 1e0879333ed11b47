using System.Collections.Generic;
using System.Linq;

namespace BnGen.Sample.Mnist.Training;

/// <summary>What one network's training produced, step by step and epoch by epoch.</summary>
public sealed class TrainingHistory
{
    public TrainingHistory(string model) => Model = model;

    public string Model { get; }

    /// <summary>Training loss of each step's batch, in order (step 1 is index 0).</summary>
    public List<double> StepLosses { get; } = new();

    /// <summary>Test accuracy after each epoch.</summary>
    public List<double> EpochTestAccuracy { get; } = new();

    /// <summary>Mean training loss of each epoch.</summary>
    public List<double> EpochTrainLoss { get; } = new();

    /// <summary>Seconds spent evaluating this network on the test split, over all epochs.</summary>
    public double EvaluationSeconds { get; set; }

    /// <summary>Seconds spent training this network in each epoch (forward, backward, step).</summary>
    public List<double> EpochSeconds { get; } = new();

    /// <summary>First-hidden-layer pre-activation values captured at the start, middle and end of training.</summary>
    public List<(string Moment, int Step, double[] Values)> Activations { get; } = new();

    /// <summary>The mean loss of the <paramref name="window"/> steps ending at each step.</summary>
    public IReadOnlyList<double> RunningLoss(int window = TrainingOptions.RunningLossWindow)
    {
        var result = new double[StepLosses.Count];
        double sum = 0;
        for (int i = 0; i < StepLosses.Count; i++)
        {
            sum += StepLosses[i];
            if (i >= window)
                sum -= StepLosses[i - window];
            result[i] = sum / System.Math.Min(i + 1, window);
        }

        return result;
    }

    /// <summary>The first step (1-based) whose running loss is below <paramref name="threshold"/>, over a full window; null if never.</summary>
    public int? StepsToRunningLossBelow(double threshold)
    {
        var running = RunningLoss();
        for (int i = TrainingOptions.RunningLossWindow - 1; i < running.Count; i++)
        {
            if (running[i] < threshold)
                return i + 1;
        }

        return null;
    }

    /// <summary>The first step (1-based) whose training loss is not a finite number, or null: the network diverged there.</summary>
    public int? DivergedAtStep
    {
        get
        {
            int index = StepLosses.FindIndex(loss => !double.IsFinite(loss));
            return index < 0 ? null : index + 1;
        }
    }

    public double FinalTestAccuracy => EpochTestAccuracy.Count == 0 ? double.NaN : EpochTestAccuracy[^1];

    public double FinalTrainLoss => EpochTrainLoss.Count == 0 ? double.NaN : EpochTrainLoss[^1];

    public double MeanSecondsPerEpoch => EpochSeconds.Count == 0 ? double.NaN : EpochSeconds.Average();
}
