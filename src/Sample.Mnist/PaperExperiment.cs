using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using BnGen.Sample.Mnist.Data;
using BnGen.Sample.Mnist.Models;
using BnGen.Sample.Mnist.Output;
using BnGen.Sample.Mnist.Training;
using static TorchSharp.torch;

namespace BnGen.Sample.Mnist;

/// <summary>
/// <c>--model paper</c>: Ioffe &amp; Szegedy (2015), section 4.1 — 3 hidden layers of 100 sigmoids, batch 60, without
/// and with BN before each nonlinearity, trained side by side; writes Figure 1(a) and 1(b, c) and their numbers.
/// </summary>
public static class PaperExperiment
{
    /// <summary>The default length: about a minute on one thread of this project's 2-core machine, on the 60,000
    /// training images (50,000 steps took 76 s there, 100 evaluations of the 10,000 test images included); the paper ran 50,000.</summary>
    public const int DefaultSteps = 40_000;

    /// <summary>Sampled points over the run (test accuracy and percentiles).</summary>
    public const int Samples = 100;

    public static (PaperHistory Plain, PaperHistory Normalized) Run(ExperimentSettings settings, int steps, Action<string> log)
    {
        var clock = Stopwatch.StartNew();
        set_num_threads(settings.Threads);
        manual_seed(settings.Training.Seed);

        using var data = ExperimentData.Load(settings, log);
        log($"Machine: {MachineInfo.Current(settings.Threads)}.");
        log($"Ioffe & Szegedy (2015), section 4.1: {steps:N0} steps of batch {PaperTrainer.BatchSize}, SGD lr {settings.Training.LearningRate.ToString(CultureInfo.InvariantCulture)}.");

        using var plain = new PaperNet();
        using var normalized = new PaperNetBN();
        // Same starting weights: the BN network takes the plain one's layers; its sites start at PyTorch's init.
        normalized.load_state_dict(plain.state_dict(), strict: false);

        var trainer = new PaperTrainer(steps, Samples, settings.Training.LearningRate, settings.Training.Seed, log);
        var (plainHistory, normalizedHistory) = trainer.Train(
            (plain, plain.LastHiddenActivation, nameof(PaperNet)),
            (normalized, normalized.LastHiddenActivation, nameof(PaperNetBN)),
            data);
        foreach (var history in new[] { plainHistory, normalizedHistory })
        {
            if (history.DivergedAtStep is { } step)
                log($"warning: {history.Model} diverged: its training loss is not a finite number from step {step} on (try a smaller --lr).");
        }

        StagedOutput.Write(settings.OutputFolder, staging =>
        {
            PaperPlots.Accuracy(Path.Combine(staging, "paper-accuracy.png"), plainHistory, normalizedHistory);
            PaperPlots.SigmoidInput(Path.Combine(staging, "paper-sigmoid-input.png"), plainHistory, normalizedHistory);
            File.WriteAllText(Path.Combine(staging, "paper-metrics.csv"), Csv(plainHistory, normalizedHistory));
            File.WriteAllText(Path.Combine(staging, "paper-summary.json"), Summary(plainHistory, normalizedHistory, steps, data, clock.Elapsed.TotalSeconds, settings.Threads));
        });

        log($"Wrote paper-accuracy.png, paper-sigmoid-input.png, paper-metrics.csv and paper-summary.json to {Path.GetFullPath(settings.OutputFolder)} ({clock.Elapsed.TotalSeconds:F1} s).");
        return (plainHistory, normalizedHistory);
    }

    private static string Csv(PaperHistory plain, PaperHistory normalized)
    {
        var text = new StringBuilder("model,step,test_accuracy,sigmoid_input_p15,sigmoid_input_p50,sigmoid_input_p85\n");
        foreach (var history in new[] { plain, normalized })
        {
            foreach (var p in history.Points)
                text.Append(CultureInfo.InvariantCulture, $"{history.Model},{p.Step},{p.Accuracy:R},{p.P15:R},{p.P50:R},{p.P85:R}\n");
        }

        return text.ToString();
    }

    private static string Summary(PaperHistory plain, PaperHistory normalized, int steps, MnistData data, double seconds, int threads)
    {
        static double? Finite(double value) => double.IsFinite(value) ? value : null;
        object Describe(PaperHistory h) => new
        {
            model = h.Model,
            final_test_accuracy = Finite(h.Points[^1].Accuracy),
            first_step_at_90_percent = h.Points.FirstOrDefault(p => p.Accuracy >= 0.9).Step is var s && s > 0 ? s : (int?)null,
            diverged_at_step = h.DivergedAtStep,
            sigmoid_input_start = new { p15 = Finite(h.Points[0].P15), p50 = Finite(h.Points[0].P50), p85 = Finite(h.Points[0].P85) },
            sigmoid_input_end = new { p15 = Finite(h.Points[^1].P15), p50 = Finite(h.Points[^1].P50), p85 = Finite(h.Points[^1].P85) },
        };
        var summary = new
        {
            experiment = "Ioffe & Szegedy (2015), section 4.1",
            steps,
            batch_size = PaperTrainer.BatchSize,
            probed_unit = PaperTrainer.ProbedUnit,
            train_images = data.Train.Count,
            test_images = data.Test.Count,
            data_source = data.Source,
            machine = MachineInfo.Current(threads),
            total_seconds = seconds,
            results = new[] { Describe(plain), Describe(normalized) },
        };
        return JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
