using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using BnGen.TestSupport.Article;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// Generated networks against the same networks written by hand, a training step or an eval forward, in the two
/// loops users write (a dispose scope around each step, or none: only the output and loss disposed), measured
/// interleaved in one process so that machine drift hits both alike. Run with `-- networks [rounds]`.
/// </summary>
public static class InterleavedNetworks
{
    public static int Run(int rounds)
    {
        set_num_threads(2);
        foreach (string network in new[] { "mlp", "conv" })
        {
            foreach (string mode in new[] { "train", "eval" })
            {
                foreach (bool callerScope in new[] { true, false })
                    Compare(network, mode, callerScope, rounds);
            }
        }

        foreach (int batch in new[] { 1, 64 })
            CompareFused(batch, rounds);

        return 0;
    }

    /// <summary>Inference after FuseBatchNorm() against the same MLP without batch norm (the goal: at most 1.05x).</summary>
    private static void CompareFused(int batch, int rounds)
    {
        manual_seed(1);
        using var fused = new SimpleNetBN();
        using var withoutBatchNorm = HandWritten.SimpleNet();
        withoutBatchNorm.load_state_dict(fused.state_dict(), strict: false);
        fused.eval();
        fused.FuseBatchNorm();
        withoutBatchNorm.eval();
        using var images = rand(batch, 1, 28, 28);

        double InferenceOf(nn.Module<Tensor, Tensor> model)
        {
            long start = Stopwatch.GetTimestamp();
            using (no_grad())
            using (model.call(images))
            {
            }

            return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        var fusedTimes = new double[rounds];
        var plainTimes = new double[rounds];
        for (int round = -20; round < rounds; round++)
        {
            double f, p;
            if ((round & 1) == 0)
            {
                f = InferenceOf(fused);
                p = InferenceOf(withoutBatchNorm);
            }
            else
            {
                p = InferenceOf(withoutBatchNorm);
                f = InferenceOf(fused);
            }

            if (round >= 0)
            {
                fusedTimes[round] = f;
                plainTimes[round] = p;
            }
        }

        double fm = Median.Of(fusedTimes);
        double pm = Median.Of(plainTimes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mlp  fused eval batch {batch,-4}  {rounds} rounds: without BN median {pm,9:F1} us, fused median {fm,9:F1} us, ratio {fm / pm:F3}"));
    }

    private static void Compare(string network, string mode, bool callerScope, int rounds)
    {
        manual_seed(1);
        using nn.Module<Tensor, Tensor> generated = network == "mlp" ? new SimpleNetBN() : new ConvNetBN();
        using var handWritten = network == "mlp" ? HandWritten.SimpleNetBN() : HandWritten.ConvNetBN();
        handWritten.load_state_dict(generated.state_dict());
        generated.train(mode == "train");
        handWritten.train(mode == "train");
        var generatedOptimizer = optim.SGD(generated.parameters(), 0.01);
        var handWrittenOptimizer = optim.SGD(handWritten.parameters(), 0.01);
        using var images = rand(128, 1, 28, 28);
        using var labels = randint(0, 10, new long[] { 128 });

        double StepOf(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
        {
            long start = Stopwatch.GetTimestamp();
            using (callerScope ? NewDisposeScope() : null)
            {
                if (mode == "eval")
                {
                    using var noGrad = no_grad();
                    using var prediction = model.forward(images);
                }
                else
                {
                    optimizer.zero_grad();
                    using var output = model.forward(images);
                    using var loss = nn.functional.cross_entropy(output, labels);
                    loss.backward();
                    optimizer.step();
                }
            }

            return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        for (int warm = 0; warm < 20; warm++)
        {
            StepOf(generated, generatedOptimizer);
            StepOf(handWritten, handWrittenOptimizer);
        }

        var generatedTimes = new double[rounds];
        var handWrittenTimes = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            // Alternate which runs first, so neither always meets the other's leftovers.
            if (round % 2 == 0)
            {
                generatedTimes[round] = StepOf(generated, generatedOptimizer);
                handWrittenTimes[round] = StepOf(handWritten, handWrittenOptimizer);
            }
            else
            {
                handWrittenTimes[round] = StepOf(handWritten, handWrittenOptimizer);
                generatedTimes[round] = StepOf(generated, generatedOptimizer);
            }
        }

        double g = Median.Of(generatedTimes);
        double h = Median.Of(handWrittenTimes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{network,-4} {mode,-5} caller scope {(callerScope ? "yes" : "no "),-3}  {rounds} rounds: hand-written median {h,9:F1} us, generated median {g,9:F1} us, ratio {g / h:F3}"));
    }
}
