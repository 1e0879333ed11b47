using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using BnGen.Sample.Mnist.Data;
using BnGen.Sample.Mnist.Models;
using BnGen.Sample.Mnist.Output;
using BnGen.Sample.Mnist.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace BnGen.Sample.Mnist;

/// <summary>The article's experiment: get the data, train both networks side by side, write the figures and numbers.</summary>
public static class Experiment
{
    public static RunSummary Run(ExperimentSettings settings, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        set_num_threads(settings.Threads);
        manual_seed(settings.Training.Seed);

        var acquirer = new DatasetAcquirer(log, settings.DownloadTimeout, settings.TestSize);
        var files = acquirer.Acquire(settings.DataFolder, settings.Dataset);
        using var data = MnistData.Load(files, acquirer.Source);
        log($"Data: {data.Train.Count:N0} training and {data.Test.Count:N0} test images; source: {data.Source}.");

        using var pair = ModelPair.Create(settings.Model);
        IProgressReporter progress = settings.PlainOutput ? new LineProgress() : new BarProgress();
        TrainingHistory plain;
        TrainingHistory normalized;
        try
        {
            (plain, normalized) = new SideBySideTrainer(settings.Training, progress).Train(pair, data);
        }
        finally
        {
            (progress as IDisposable)?.Dispose();
        }

        Directory.CreateDirectory(settings.OutputFolder);
        int stepsPerEpoch = settings.Training.StepsPerEpoch(data.Train.Count);
        Plots.TrainingLoss(Path.Combine(settings.OutputFolder, "training-loss.png"), plain, normalized);
        Plots.ActivationDistribution(Path.Combine(settings.OutputFolder, "activation-distribution.png"), plain, normalized, pair.FirstLayer);
        MetricsCsv.Write(Path.Combine(settings.OutputFolder, "metrics.csv"), stepsPerEpoch, plain, normalized);

        var summary = new RunSummary(
            settings.Dataset == DatasetKind.Mnist ? "mnist" : "fashion-mnist",
            data.Source,
            data.Train.Count,
            data.Test.Count,
            settings.Model == ModelKind.Mlp ? "mlp" : "conv",
            settings.Training,
            settings.Threads,
            clock.Elapsed.TotalSeconds,
            new[]
            {
                ModelSummary.From(plain, CountParameters(pair.Plain)),
                ModelSummary.From(normalized, CountParameters(pair.Normalized)),
            });
        summary.Write(Path.Combine(settings.OutputFolder, "summary.json"));
        return summary;
    }

    public static void PrintTable(RunSummary summary, string outputFolder)
    {
        var table = new Table().AddColumns("model", "final train loss", "test accuracy", "steps to loss < 0.5", "steps to loss < 0.3", "s / epoch");
        foreach (var result in summary.Results)
        {
            table.AddRow(
                result.Model,
                result.FinalTrainLoss.ToString("F4", CultureInfo.InvariantCulture),
                result.TestAccuracy.ToString("P2", CultureInfo.InvariantCulture),
                result.StepsToRunningLossBelow05?.ToString(CultureInfo.InvariantCulture) ?? "never",
                result.StepsToRunningLossBelow03?.ToString(CultureInfo.InvariantCulture) ?? "never",
                result.SecondsPerEpoch.ToString("F2", CultureInfo.InvariantCulture));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Running loss: mean of the last {TrainingOptions.RunningLossWindow} steps. Total time {summary.TotalSeconds:F1} s.");
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Wrote training-loss.png, activation-distribution.png, metrics.csv and summary.json to {Path.GetFullPath(outputFolder)}");
    }

    private static long CountParameters(nn.Module<Tensor, Tensor> model) => model.parameters().Sum(p => p.numel());
}
