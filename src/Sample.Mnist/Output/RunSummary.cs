using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Json.Serialization;
using BnGen.Sample.Mnist.Training;

namespace BnGen.Sample.Mnist.Output;

/// <summary>summary.json: the run's settings, data and each model's headline numbers.</summary>
public sealed record RunSummary(
    string Dataset,
    string DataSource,
    long TrainImages,
    long TestImages,
    string Models,
    TrainingOptions Options,
    int Threads,
    double TotalSeconds,
    IReadOnlyList<ModelSummary> Results,
    MachineInfo Machine,
    RunTiming Timing)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public void Write(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");
}

/// <summary>Where the run's time went: getting and checking the data, training both networks, evaluating them after
/// each epoch, and writing the plots and files.</summary>
public sealed record RunTiming(double DataSeconds, double TrainingSeconds, double EvaluationSeconds, double OutputSeconds);

/// <summary>One model's results. Numbers that are not finite (a diverged run) are null: JSON has no NaN.</summary>
public sealed record ModelSummary(
    string Model,
    double? FinalTrainLoss,
    double? TestAccuracy,
    [property: JsonPropertyName("steps_to_running_loss_below_0_5")] int? StepsToRunningLossBelow05,
    [property: JsonPropertyName("steps_to_running_loss_below_0_3")] int? StepsToRunningLossBelow03,
    double? SecondsPerEpoch,
    long Parameters,
    int? DivergedAtStep)
{
    public static ModelSummary From(TrainingHistory history, long parameters) => new(
        history.Model,
        Finite(history.FinalTrainLoss),
        Finite(history.FinalTestAccuracy),
        history.StepsToRunningLossBelow(0.5),
        history.StepsToRunningLossBelow(0.3),
        Finite(history.MeanSecondsPerEpoch),
        parameters,
        history.DivergedAtStep);

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
