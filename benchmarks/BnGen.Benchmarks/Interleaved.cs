using System;
using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// How the in-process comparisons measure: two callables alternated round by round (and which goes first), after a
/// short warm-up, reported as medians and their ratio under the CPU line of <see cref="Machine"/>.
/// </summary>
internal static class Interleaved
{
    internal static double Eval(nn.Module<Tensor, Tensor> model, Tensor images)
    {
        long start = Stopwatch.GetTimestamp();
        using (no_grad())
        {
            using var output = model.forward(images);
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private static bool machinePrinted;

    internal static void Report(string what, string baselineName, int rounds, Func<double> baseline, Func<double> candidate)
    {
        if (!machinePrinted)
        {
            Console.WriteLine(Machine.Describe());
            machinePrinted = true;
        }

        for (int warm = 0; warm < 5; warm++)
        {
            baseline();
            candidate();
        }

        var theirs = new double[rounds];
        var ours = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            // Alternate which runs first, so neither always meets the other's leftovers.
            if (round % 2 == 0)
            {
                theirs[round] = baseline();
                ours[round] = candidate();
            }
            else
            {
                ours[round] = candidate();
                theirs[round] = baseline();
            }
        }

        double t = Median.Of(theirs);
        double o = Median.Of(ours);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what,-47} {rounds} rounds: {baselineName} median {t,10:F1} us, BnGen median {o,10:F1} us, ratio {o / t:F3}"));
    }
}
