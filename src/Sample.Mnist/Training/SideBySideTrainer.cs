using System;
using System.Diagnostics;
using BnGen.Sample.Mnist.Data;
using BnGen.Sample.Mnist.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Sample.Mnist.Training;

/// <summary>
/// Trains the plain and the batch-normalized network on the same batches in the same order, records their
/// losses, test accuracy and timing, and captures the first hidden layer's pre-activations at the start,
/// middle and end of training.
/// </summary>
public sealed class SideBySideTrainer
{
    private readonly TrainingOptions _options;
    private readonly IProgressReporter _progress;
    private readonly Distribution? _distribution;

    /// <param name="distribution">Train data-parallel across an MPI job's ranks; null for one process.</param>
    public SideBySideTrainer(TrainingOptions options, IProgressReporter progress, Distribution? distribution = null)
    {
        _options = options;
        _progress = progress;
        _distribution = distribution;
    }

    public (TrainingHistory Plain, TrainingHistory Normalized) Train(ModelPair pair, MnistData data)
    {
        var plain = new TrainingHistory(pair.PlainName);
        var normalized = new TrainingHistory(pair.NormalizedName);
        var plainOptimizer = optim.SGD(pair.Plain.parameters(), _options.LearningRate, momentum: _options.Momentum);
        var normalizedOptimizer = optim.SGD(pair.Normalized.parameters(), _options.LearningRate, momentum: _options.Momentum);

        long trainCount = data.Train.Count;
        int stepsPerEpoch = _options.StepsPerEpoch(trainCount);
        int totalSteps = stepsPerEpoch * _options.Epochs;
        var captureSteps = new[] { (Moment: "start", Step: 1), (Moment: "middle", Step: (totalSteps + 1) / 2), (Moment: "end", Step: totalSteps) };
        using var capture = new ActivationCapture(pair.PlainProbe, pair.NormalizedProbe);
        var shuffler = new torch.Generator((ulong)_options.Seed);

        int step = 0;
        for (int epoch = 1; epoch <= _options.Epochs; epoch++)
        {
            pair.Plain.train();
            pair.Normalized.train();
            _progress.StartEpoch(epoch, _options.Epochs, stepsPerEpoch);
            var plainClock = new Stopwatch();
            var normalizedClock = new Stopwatch();
            double plainSum = 0;
            double normalizedSum = 0;
            using var order = randperm(trainCount, generator: shuffler);
            for (int batch = 0; batch < stepsPerEpoch; batch++)
            {
                step++;
                using var scope = NewDisposeScope();
                long start = (long)batch * _options.BatchSize;
                long length = Math.Min(_options.BatchSize, trainCount - start);
                var indices = order.narrow(0, start, length);
                var images = data.Train.Images.index_select(0, indices);
                var labels = data.Train.Labels.index_select(0, indices);

                int captureIndex = Array.FindIndex(captureSteps, c => c.Step == step);
                capture.Enabled = captureIndex >= 0;

                double plainLoss = Step(pair.Plain, plainOptimizer, images, labels, plainClock);
                double normalizedLoss = Step(pair.Normalized, normalizedOptimizer, images, labels, normalizedClock);
                plain.StepLosses.Add(plainLoss);
                normalized.StepLosses.Add(normalizedLoss);
                plainSum += plainLoss;
                normalizedSum += normalizedLoss;

                if (capture.Enabled)
                {
                    var moment = captureSteps[captureIndex];
                    plain.Activations.Add((moment.Moment, step, capture.TakePlain()));
                    normalized.Activations.Add((moment.Moment, step, capture.TakeNormalized()));
                    capture.Enabled = false;
                }

                _progress.Step(plainLoss, normalizedLoss);
            }

            plain.EpochTrainLoss.Add(plainSum / stepsPerEpoch);
            normalized.EpochTrainLoss.Add(normalizedSum / stepsPerEpoch);
            plain.EpochSeconds.Add(plainClock.Elapsed.TotalSeconds);
            normalized.EpochSeconds.Add(normalizedClock.Elapsed.TotalSeconds);
            var evaluation = Stopwatch.StartNew();
            plain.EpochTestAccuracy.Add(TestAccuracy.Of(pair.Plain, data.Test));
            plain.EvaluationSeconds += evaluation.Elapsed.TotalSeconds;
            evaluation.Restart();
            normalized.EpochTestAccuracy.Add(TestAccuracy.Of(pair.Normalized, data.Test));
            normalized.EvaluationSeconds += evaluation.Elapsed.TotalSeconds;
            _progress.EndEpoch(epoch, plain, normalized);
        }

        return (plain, normalized);
    }

    private double Step(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor images, Tensor labels, Stopwatch clock)
    {
        clock.Start();
        optimizer.zero_grad();
        double reported;
        if (_distribution is null)
        {
            var loss = nn.functional.cross_entropy(model.forward(images), labels);
            loss.backward();
            reported = loss.item<float>();
        }
        else
        {
            // This rank's share; its mean loss weighted so that the averaged gradient is the whole batch's.
            var parallel = _distribution.For(model);
            var (start, length) = _distribution.Share(images.size(0));
            var loss = nn.functional.cross_entropy(model.forward(images.narrow(0, start, length)), labels.narrow(0, start, length));
            (loss * parallel.LossScale(length)).backward();
            parallel.AverageGradients();
            reported = _distribution.GlobalMeanLoss(loss.item<float>(), length);
        }

        optimizer.step();
        clock.Stop();
        return reported;
    }
}
