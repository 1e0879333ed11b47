using System.Globalization;
using System.IO;
using System.Text;
using BnGen.Sample.Mnist.Training;

namespace BnGen.Sample.Mnist.Output;

/// <summary>
/// metrics.csv: one row per model per step (<c>record=step</c>) and per epoch (<c>record=epoch</c>), with
/// the columns that apply filled and the rest empty.
/// </summary>
public static class MetricsCsv
{
    public const string Header = "record,model,epoch,step,train_loss,running_loss,test_accuracy,seconds";

    public static void Write(string path, int stepsPerEpoch, params TrainingHistory[] histories)
    {
        var text = new StringBuilder().Append(Header).Append('\n');
        foreach (var history in histories)
        {
            var running = history.RunningLoss();
            for (int i = 0; i < history.StepLosses.Count; i++)
            {
                int epoch = i / stepsPerEpoch + 1;
                text.Append(CultureInfo.InvariantCulture, $"step,{history.Model},{epoch},{i + 1},{history.StepLosses[i]:R},{running[i]:R},,\n");
            }

            for (int e = 0; e < history.EpochTrainLoss.Count; e++)
                text.Append(CultureInfo.InvariantCulture, $"epoch,{history.Model},{e + 1},{(e + 1) * stepsPerEpoch},{history.EpochTrainLoss[e]:R},,{history.EpochTestAccuracy[e]:R},{history.EpochSeconds[e]:R}\n");
        }

        File.WriteAllText(path, text.ToString());
    }
}
