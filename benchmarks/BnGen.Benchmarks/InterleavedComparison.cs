using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// Site against TorchSharp's module, train forward + backward, measured interleaved in one process: rounds
/// alternate which path runs first, so machine drift (other tenants, frequency changes) hits both alike,
/// which separate BenchmarkDotNet processes cannot guarantee. Run with `-- interleaved [rounds]`.
/// </summary>
public static class InterleavedComparison
{
    public static int Run(int rounds)
    {
        set_num_threads(2);
        foreach (var shape in new[] { new long[] { 256, 64 }, new long[] { 1024, 512 }, new long[] { 64, 32, 28, 28 }, new long[] { 128, 16, 14, 14 } })
        {
            manual_seed(1);
            long channels = shape[1];
            bool conv = shape.Length == 4;
            using var site = new BatchNormSite("site", channels, input: conv ? BatchNormInputKind.Conv2d : BatchNormInputKind.Dense);
            using BatchNorm module = conv ? nn.BatchNorm2d(channels) : nn.BatchNorm1d(channels);
            site.train();
            module.train();
            using var input = randn(shape).requires_grad_();
            using var upstream = randn(shape);
            Func<Tensor, Tensor> sitePath = site.call;

            var siteTimes = new double[rounds];
            var moduleTimes = new double[rounds];
            for (int warm = 0; warm < 20; warm++)
            {
                Step(sitePath, input, upstream);
                Step(module.forward, input, upstream);
            }

            for (int round = 0; round < rounds; round++)
            {
                if (round % 2 == 0)
                {
                    siteTimes[round] = Step(sitePath, input, upstream);
                    moduleTimes[round] = Step(module.forward, input, upstream);
                }
                else
                {
                    moduleTimes[round] = Step(module.forward, input, upstream);
                    siteTimes[round] = Step(sitePath, input, upstream);
                }
            }

            double siteMedian = Median.Of(siteTimes);
            double moduleMedian = Median.Of(moduleTimes);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{string.Join(", ", shape)}] forward+backward, {rounds} interleaved rounds: module median {moduleMedian:F1} us, site median {siteMedian:F1} us, ratio {siteMedian / moduleMedian:F3}"));
        }

        return 0;
    }

    private static double Step(Func<Tensor, Tensor> normalize, Tensor input, Tensor upstream)
    {
        long start = Stopwatch.GetTimestamp();
        using (var scope = NewDisposeScope())
        {
            normalize(input).backward(new[] { upstream });
        }

        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }
}
