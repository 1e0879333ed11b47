using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using BnGen.Mpi;
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
    /// <param name="world">Train data-parallel across this MPI job's ranks (<c>--distributed</c>); null for one
    /// process. Rank 0 fetches the data first, reports progress and writes the outputs; the others only train.</param>
    public static RunSummary Run(ExperimentSettings settings, Action<string> log, MpiWorld? world = null)
    {
        var clock = Stopwatch.StartNew();
        set_num_threads(settings.Threads);
        manual_seed(settings.Training.Seed);
        bool root = world?.IsRoot ?? true;

        using var data = ExperimentData.Load(settings, root ? log : _ => { }, world);
        double dataSeconds = clock.Elapsed.TotalSeconds;
        var machine = MachineInfo.Current(settings.Threads);
        log($"Machine: {machine}; data ready in {dataSeconds:F1} s.");

        using var pair = ModelPair.Create(settings.Model);
        using var distribution = world is null ? null : new Distribution(world, pair.Plain, pair.Normalized);
        if (world is not null)
            log($"Distributed: {world.Size} processes, {settings.Training.BatchSize} images per step split across them; batch norm synchronized.");
        IProgressReporter progress = !root ? new SilentProgress() : settings.PlainOutput ? new LineProgress() : new BarProgress();
        TrainingHistory plain;
        TrainingHistory normalized;
        try
        {
            (plain, normalized) = new SideBySideTrainer(settings.Training, progress, distribution).Train(pair, data);
        }
        finally
        {
            (progress as IDisposable)?.Dispose();
        }

        foreach (var history in new[] { plain, normalized })
        {
            if (history.DivergedAtStep is { } step)
                log($"warning: {history.Model} diverged: its training loss is not a finite number from step {step} on (try a smaller --lr). Its losses are NaN in metrics.csv and null in summary.json.");
        }

        int stepsPerEpoch = settings.Training.StepsPerEpoch(data.Train.Count);
        var outputClock = Stopwatch.StartNew();
        RunSummary Summary(double outputSeconds) => new(
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
            },
            machine,
            new RunTiming(
                dataSeconds,
                plain.EpochSeconds.Sum() + normalized.EpochSeconds.Sum(),
                plain.EvaluationSeconds + normalized.EvaluationSeconds,
                outputSeconds));

        if (!root)
            return Summary(0); // Rank 0 writes; every rank holds the same networks and numbers.

        // Every output is written into a staging folder first and moved into place only when all are written:
        // a failure leaves the output folder as it was, never half a run.
        RunSummary summary = null!;
        StagedOutput.Write(settings.OutputFolder, staging =>
        {
            Plots.TrainingLoss(Path.Combine(staging, "training-loss.png"), plain, normalized);
            Plots.ActivationDistribution(Path.Combine(staging, "activation-distribution.png"), plain, normalized, pair.FirstLayer);
            MetricsCsv.Write(Path.Combine(staging, "metrics.csv"), stepsPerEpoch, plain, normalized);
            // The time of writing summary.json itself is not in it: it is the last and smallest file.
            summary = Summary(outputClock.Elapsed.TotalSeconds);
            summary.Write(Path.Combine(staging, "summary.json"));
        });

        return summary;
    }

    public static void PrintTable(RunSummary summary, string outputFolder)
    {
        var table = new Table().AddColumns("model", "final train loss", "test accuracy", "steps to loss < 0.5", "steps to loss < 0.3", "s / epoch");
        foreach (var result in summary.Results)
        {
            table.AddRow(
                result.Model,
                result.FinalTrainLoss?.ToString("F4", CultureInfo.InvariantCulture) ?? $"diverged (step {result.DivergedAtStep})",
                result.TestAccuracy?.ToString("P2", CultureInfo.InvariantCulture) ?? "n/a",
                result.StepsToRunningLossBelow05?.ToString(CultureInfo.InvariantCulture) ?? "never",
                result.StepsToRunningLossBelow03?.ToString(CultureInfo.InvariantCulture) ?? "never",
                result.SecondsPerEpoch?.ToString("F2", CultureInfo.InvariantCulture) ?? "n/a");
        }

        AnsiConsole.Write(table);
        var t = summary.Timing;
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Running loss: mean of the last {TrainingOptions.RunningLossWindow} steps. Total time {summary.TotalSeconds:F1} s: data {t.DataSeconds:F1} s, training {t.TrainingSeconds:F1} s, evaluation {t.EvaluationSeconds:F1} s, plots and files {t.OutputSeconds:F1} s.");
        AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"Wrote training-loss.png, activation-distribution.png, metrics.csv and summary.json to {Path.GetFullPath(outputFolder)}");
    }

    private static long CountParameters(nn.Module<Tensor, Tensor> model) => model.parameters().Sum(p => p.numel());
}
