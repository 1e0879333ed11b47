using System;
using System.Collections.Generic;
using System.Linq;
using BnGen.Sample.Mnist.Training;
using ScottPlot;

namespace BnGen.Sample.Mnist.Output;

/// <summary>The article's two figures, as PNG files.</summary>
public static class Plots
{
    private static readonly Color PlainColor = Colors.Orange;
    private static readonly Color NormalizedColor = Colors.SteelBlue;

    /// <summary>Both loss curves over steps: each step's loss faint, the running mean bold.</summary>
    public static void TrainingLoss(string path, TrainingHistory plain, TrainingHistory normalized)
    {
        var plot = new Plot();
        foreach (var (history, color) in new[] { (plain, PlainColor), (normalized, NormalizedColor) })
        {
            // A logarithmic step axis: with 60,000 images the whole difference lies in the first few percent of the run.
            double[] steps = Enumerable.Range(1, history.StepLosses.Count).Select(s => Math.Log10(s)).ToArray();
            var raw = plot.Add.ScatterLine(steps, history.StepLosses.ToArray());
            raw.Color = color.WithAlpha(0.25);
            raw.LineWidth = 1;
            raw.LegendText = $"{history.Model} (each step)";

            var smooth = plot.Add.ScatterLine(steps, history.RunningLoss().ToArray());
            smooth.Color = color;
            smooth.LineWidth = 2.5f;
            smooth.LegendText = $"{history.Model} (mean of last {TrainingOptions.RunningLossWindow} steps)";
        }

        plot.Title("Training loss: without vs with batch normalization");
        plot.XLabel("training step (logarithmic)");
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = exponent => Math.Pow(10, exponent).ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.YLabel("cross-entropy loss");
        plot.Axes.SetLimitsY(0, Math.Min(2.5, Math.Max(plain.StepLosses.DefaultIfEmpty(1).Max(), normalized.StepLosses.DefaultIfEmpty(1).Max()) * 1.05));
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, 1000, 600);
    }

    /// <summary>
    /// Histograms (as densities) of the first hidden layer's pre-activation values at the start, middle and end
    /// of training: one panel per network, on a shared x range so the spreads compare at a glance.
    /// </summary>
    public static void ActivationDistribution(string path, TrainingHistory plain, TrainingHistory normalized, string firstLayer)
    {
        var all = plain.Activations.Concat(normalized.Activations).SelectMany(a => a.Values).ToArray();
        double low = Percentile(all, 0.005);
        double high = Percentile(all, 0.995);
        if (!(high > low))
            high = low + 1;

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        var colors = new[] { Colors.Gray, Colors.Orange, Colors.DarkRed };
        for (int panel = 0; panel < 2; panel++)
        {
            var history = panel == 0 ? plain : normalized;
            var plot = multiplot.GetPlot(panel);
            for (int i = 0; i < history.Activations.Count; i++)
            {
                var (moment, step, values) = history.Activations[i];
                var (centers, density) = Density(values, low, high, bins: 80);
                var line = plot.Add.ScatterLine(centers, density);
                line.Color = colors[i % colors.Length];
                line.LineWidth = 2;
                line.LegendText = $"{moment} (step {step})";
            }

            string where = panel == 0 ? $"output of {firstLayer}" : $"output of {firstLayer}'s batch norm";
            plot.Title($"{history.Model}: first hidden layer, {where}");
            plot.XLabel("pre-activation value");
            plot.YLabel("density");
            plot.Axes.SetLimitsX(low, high);
            plot.ShowLegend(Alignment.UpperRight);
        }

        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multiplot.SavePng(path, 1400, 560);
    }

    private static (double[] Centers, double[] Density) Density(double[] values, double low, double high, int bins)
    {
        double width = (high - low) / bins;
        var counts = new double[bins];
        foreach (double v in values)
        {
            if (v < low || v > high)
                continue;
            int bin = Math.Min(bins - 1, (int)((v - low) / width));
            counts[bin]++;
        }

        double scale = values.Length * width;
        return (Enumerable.Range(0, bins).Select(b => low + (b + 0.5) * width).ToArray(), counts.Select(c => c / scale).ToArray());
    }

    private static double Percentile(double[] values, double fraction)
    {
        if (values.Length == 0)
            return 0;
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[(int)Math.Clamp(Math.Round(fraction * (sorted.Length - 1)), 0, sorted.Length - 1)];
    }
}
