using System.Linq;
using BnGen.Sample.Mnist.Training;
using ScottPlot;

namespace BnGen.Sample.Mnist.Output;

/// <summary>The paper's Figure 1: (a) test accuracy over training, (b, c) one sigmoid's input percentiles over training.</summary>
public static class PaperPlots
{
    private static readonly Color PlainColor = Colors.Orange;
    private static readonly Color NormalizedColor = Colors.SteelBlue;

    /// <summary>Figure 1(a): test accuracy against training step for both networks.</summary>
    public static void Accuracy(string path, PaperHistory plain, PaperHistory normalized)
    {
        var plot = new Plot();
        foreach (var (history, color) in new[] { (plain, PlainColor), (normalized, NormalizedColor) })
        {
            var line = plot.Add.ScatterLine(history.Points.Select(p => (double)p.Step).ToArray(), history.Points.Select(p => p.Accuracy).ToArray());
            line.Color = color;
            line.LineWidth = 2;
            line.LegendText = history.Model;
        }

        plot.Title("Test accuracy over training (Ioffe & Szegedy 2015, Figure 1a)");
        plot.XLabel("training step (batch of 60)");
        plot.YLabel("test accuracy");
        plot.Axes.SetLimitsY(0, 1);
        plot.ShowLegend(Alignment.LowerRight);
        plot.SavePng(path, 1000, 600);
    }

    /// <summary>Figures 1(b, c): the 15th, 50th and 85th percentiles of one last-hidden-layer sigmoid's input, one panel per network.</summary>
    public static void SigmoidInput(string path, PaperHistory plain, PaperHistory normalized)
    {
        var values = plain.Points.Concat(normalized.Points).SelectMany(p => new[] { p.P15, p.P85 }).Where(double.IsFinite).ToArray();
        double low = values.DefaultIfEmpty(-1).Min();
        double high = values.DefaultIfEmpty(1).Max();
        double pad = (high - low) * 0.05 + 1e-6;

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        for (int panel = 0; panel < 2; panel++)
        {
            var history = panel == 0 ? plain : normalized;
            var color = panel == 0 ? PlainColor : NormalizedColor;
            var plot = multiplot.GetPlot(panel);
            double[] steps = history.Points.Select(p => (double)p.Step).ToArray();
            foreach (var (name, select, width) in new (string, System.Func<(int Step, double Accuracy, double P15, double P50, double P85), double>, float)[]
            {
                ("15th percentile", p => p.P15, 1.5f),
                ("median", p => p.P50, 2.5f),
                ("85th percentile", p => p.P85, 1.5f),
            })
            {
                var line = plot.Add.ScatterLine(steps, history.Points.Select(select).ToArray());
                line.Color = color;
                line.LineWidth = width;
                line.LegendText = name;
            }

            plot.Title($"{history.Model}: input of one sigmoid in the last hidden layer (Figure 1{(panel == 0 ? "b" : "c")})");
            plot.XLabel("training step");
            plot.YLabel("sigmoid input");
            plot.Axes.SetLimitsY(low - pad, high + pad);
            plot.ShowLegend(Alignment.UpperRight);
        }

        multiplot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        multiplot.SavePng(path, 1400, 550);
    }
}
