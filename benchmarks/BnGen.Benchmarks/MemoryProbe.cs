using System;
using System.Diagnostics;
using System.Globalization;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// Resident memory after many training steps of one site: run with `-- memory`. Not a BenchmarkDotNet
/// benchmark: it measures growth, not time. Prints RSS after 1,000 and after 100,000 steps.
/// </summary>
public static class MemoryProbe
{
    public static int Run(int steps, string implementation)
    {
        set_num_threads(2);
        manual_seed(1);
        using var site = new BatchNormSite("site", 64, input: BatchNormInputKind.Dense);
        using var module = nn.BatchNorm1d(64);
        site.train();
        module.train();
        Func<Tensor, Tensor> normalize = implementation switch
        {
            "site" => site.call,
            "module" => module.forward,
            _ => throw new ArgumentException($"memory probe: unknown implementation '{implementation}'; use site or module"),
        };
        Console.WriteLine($"{implementation}: {steps:N0} training steps (forward + backward) on [256, 64]");
        using var input = randn(256, 64).requires_grad_();
        using var upstream = randn(256, 64);
        long atThousand = 0;
        var clock = Stopwatch.StartNew();
        for (int step = 1; step <= steps; step++)
        {
            using (var scope = NewDisposeScope())
            {
                var y = normalize(input);
                y.backward(new[] { upstream });
            }

            if (step == 1000)
            {
                atThousand = Rss();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after {step,7:N0} steps: RSS {atThousand / 1048576.0,8:F1} MB"));
            }
        }

        long atEnd = Rss();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after {steps,7:N0} steps: RSS {atEnd / 1048576.0,8:F1} MB ({clock.Elapsed.TotalSeconds:F1} s)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"growth: {(atEnd - atThousand) / 1048576.0:F1} MB (target: under 50 MB)"));
        return 0;
    }

    private static long Rss()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
