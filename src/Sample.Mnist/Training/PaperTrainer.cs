using System;
using System.Collections.Generic;
using System.Linq;
using BnGen.Sample.Mnist.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Sample.Mnist.Training;

/// <summary>One network's course in the paper's experiment, sampled every few steps.</summary>
/// <param name="Model">The network's class name.</param>
public sealed record PaperHistory(string Model)
{
    /// <summary>At each sampled step: test accuracy, and the 15th, 50th and 85th percentiles of the probed sigmoid's input over the test set.</summary>
    public List<(int Step, double Accuracy, double P15, double P50, double P85)> Points { get; } = new();

    /// <summary>The first step whose training loss was not finite, or null.</summary>
    public int? DivergedAtStep { get; set; }
}

/// <summary>
/// Ioffe &amp; Szegedy (2015), section 4.1, Figure 1: both networks trained side by side, step for step on the same
/// batches of 60, with test accuracy and the input distribution of one sigmoid in the last hidden layer sampled
/// over training. Both are measured in eval mode (the BN network with its running statistics) on the test set.
/// </summary>
public sealed class PaperTrainer
{
    /// <summary>The paper's mini-batch size.</summary>
    public const int BatchSize = 60;

    /// <summary>Which unit of the last hidden layer is followed (the paper shows "a typical" one).</summary>
    public const int ProbedUnit = 0;

    private readonly int _steps;
    private readonly int _samples;
    private readonly double _learningRate;
    private readonly long _seed;
    private readonly Action<string> _log;

    public PaperTrainer(int steps, int samples, double learningRate, long seed, Action<string> log)
    {
        _steps = steps;
        _samples = Math.Max(1, Math.Min(samples, steps));
        _learningRate = learningRate;
        _seed = seed;
        _log = log;
    }

    public (PaperHistory Plain, PaperHistory Normalized) Train(
        (nn.Module<Tensor, Tensor> Network, nn.Module<Tensor, Tensor> LastSigmoid, string Name) plain,
        (nn.Module<Tensor, Tensor> Network, nn.Module<Tensor, Tensor> LastSigmoid, string Name) normalized,
        MnistData data)
    {
        if (data.Train.Count < 2)
            throw new DataUnavailableException($"The paper's experiment needs at least 2 training images for batch norm; the data has {data.Train.Count}.");
        var histories = (Plain: new PaperHistory(plain.Name), Normalized: new PaperHistory(normalized.Name));
        var optimizers = (Plain: optim.SGD(plain.Network.parameters(), _learningRate), Normalized: optim.SGD(normalized.Network.parameters(), _learningRate));
        var shuffler = new torch.Generator((ulong)_seed);
        long count = data.Train.Count;
        int batch = (int)Math.Min(BatchSize, count);
        Tensor? order = null;
        long cursor = count;
        int every = Math.Max(1, _steps / _samples);

        Sample(0);
        for (int step = 1; step <= _steps; step++)
        {
            using var scope = NewDisposeScope();
            if (cursor + batch > count)
            {
                order?.Dispose();
                order = randperm(count, generator: shuffler).MoveToOuterDisposeScope();
                cursor = 0;
            }

            var indices = order!.narrow(0, cursor, batch);
            cursor += batch;
            var images = data.Train.Images.index_select(0, indices);
            var labels = data.Train.Labels.index_select(0, indices);
            TrainStep(plain.Network, optimizers.Plain, images, labels, histories.Plain, step);
            TrainStep(normalized.Network, optimizers.Normalized, images, labels, histories.Normalized, step);
            if (step % every == 0 || step == _steps)
                Sample(step);
        }

        order?.Dispose();
        return histories;

        void Sample(int step)
        {
            foreach (var (network, sigmoid, history) in new[] { (plain.Network, plain.LastSigmoid, histories.Plain), (normalized.Network, normalized.LastSigmoid, histories.Normalized) })
            {
                var (accuracy, inputs) = Measure(network, sigmoid, data.Test);
                history.Points.Add((step, accuracy, Percentile(inputs, 0.15), Percentile(inputs, 0.50), Percentile(inputs, 0.85)));
            }

            if (step > 0 && step % Math.Max(every, _steps / 10) == 0)
                _log($"step {step,6:N0}: {plain.Name} {histories.Plain.Points[^1].Accuracy:P2}, {normalized.Name} {histories.Normalized.Points[^1].Accuracy:P2}");
        }
    }

    private static void TrainStep(nn.Module<Tensor, Tensor> network, optim.Optimizer optimizer, Tensor images, Tensor labels, PaperHistory history, int step)
    {
        network.train();
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(network.forward(images), labels);
        loss.backward();
        optimizer.step();
        if (history.DivergedAtStep is null && !double.IsFinite(loss.item<float>()))
            history.DivergedAtStep = step;
    }

    /// <summary>Test accuracy, and the probed unit's sigmoid input for every test image, in eval mode.</summary>
    private static (double Accuracy, double[] Inputs) Measure(nn.Module<Tensor, Tensor> network, nn.Module<Tensor, Tensor> sigmoid, MnistSplit test)
    {
        network.eval();
        var inputs = new List<double>((int)test.Count);
        var hook = sigmoid.register_forward_hook((_, input, output) =>
        {
            using var column = input.select(1, ProbedUnit).to(ScalarType.Float64);
            inputs.AddRange(column.data<double>().ToArray());
            return output;
        });
        try
        {
            double accuracy = TestAccuracy.Of(network, test);
            return (accuracy, inputs.ToArray());
        }
        finally
        {
            hook.remove();
        }
    }

    private static double Percentile(double[] values, double q)
    {
        var finite = values.Where(double.IsFinite).OrderBy(v => v).ToArray();
        if (finite.Length == 0)
            return double.NaN;
        double position = q * (finite.Length - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, finite.Length - 1);
        return finite[below] + (finite[above] - finite[below]) * (position - below);
    }
}
