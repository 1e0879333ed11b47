namespace BnGen.Sample.Mnist.Training;

/// <summary>Shows training progress: a live bar in a terminal, plain lines when output is redirected.</summary>
public interface IProgressReporter
{
    void StartEpoch(int epoch, int epochs, int steps);

    void Step(double plainLoss, double normalizedLoss);

    void EndEpoch(int epoch, TrainingHistory plain, TrainingHistory normalized);
}
