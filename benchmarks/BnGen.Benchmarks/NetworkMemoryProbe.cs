using System;
using System.Diagnostics;
using System.Globalization;
using BnGen.TestSupport.Article;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// Resident memory of a training loop without a dispose scope (it disposes only the output and the loss, as much
/// user code does), for a generated network or the same network written by hand: run with
/// `-- network-memory mlp|conv generated|handwritten [steps]`. Prints RSS after 1,000 steps and at the end.
/// </summary>
public static class NetworkMemoryProbe
{
    public static int Run(string network, string implementation, int steps)
    {
        set_num_threads(2);
        manual_seed(1);
        using nn.Module<Tensor, Tensor> model = (network, implementation) switch
        {
            ("mlp", "generated") => new SimpleNetBN(),
            ("mlp", "handwritten") => HandWritten.SimpleNetBN(),
            ("conv", "generated") => new ConvNetBN(),
            ("conv", "handwritten") => HandWritten.ConvNetBN(),
            _ => throw new ArgumentException($"network memory probe: use mlp|conv and generated|handwritten, got '{network}' '{implementation}'"),
        };
        model.train();
        var optimizer = optim.SGD(model.parameters(), 0.01);
        using var images = rand(32, 1, 28, 28);
        using var labels = randint(0, 10, new long[] { 32 });
        Console.WriteLine($"{network} {implementation}: {steps:N0} SGD steps, batch 32, no dispose scope (output and loss disposed)");
        long atThousand = 0;
        var clock = Stopwatch.StartNew();
        for (int step = 1; step <= steps; step++)
        {
            optimizer.zero_grad();
            using (var output = model.forward(images))
            using (var loss = nn.functional.cross_entropy(output, labels))
            {
                loss.backward();
            }

            optimizer.step();
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
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
