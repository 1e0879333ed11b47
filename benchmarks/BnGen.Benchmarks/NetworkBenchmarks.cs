using BenchmarkDotNet.Attributes;
using BnGen.TestSupport.Article;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// A training step (forward, loss, backward, SGD step) or an eval forward: generated networks vs the same written
/// by hand, in the two loops users write: with a dispose scope around each step, and without one, disposing only
/// the output and the loss they hold.
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class TrainingStepBenchmarks
{
    private nn.Module<Tensor, Tensor> _generated = null!;
    private nn.Module<Tensor, Tensor> _handWritten = null!;
    private optim.Optimizer _generatedOptimizer = null!;
    private optim.Optimizer _handWrittenOptimizer = null!;
    private Tensor _images = null!;
    private Tensor _labels = null!;

    [Params("mlp", "conv")]
    public string Network { get; set; } = "mlp";

    /// <summary>"train": forward, loss, backward, SGD step. "eval": a forward in eval mode under no_grad.</summary>
    [Params("train", "eval")]
    public string Mode { get; set; } = "train";

    /// <summary>Whether the loop wraps each step in NewDisposeScope(); without, it disposes only the output and the loss.</summary>
    [Params(true, false)]
    public bool CallerScope { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(2);
        manual_seed(1);
        _generated = Network == "mlp" ? new SimpleNetBN() : new ConvNetBN();
        _handWritten = Network == "mlp" ? HandWritten.SimpleNetBN() : HandWritten.ConvNetBN();
        _handWritten.load_state_dict(_generated.state_dict());
        _generated.train(Mode == "train");
        _handWritten.train(Mode == "train");
        _generatedOptimizer = optim.SGD(_generated.parameters(), 0.01);
        _handWrittenOptimizer = optim.SGD(_handWritten.parameters(), 0.01);
        _images = rand(128, 1, 28, 28);
        _labels = randint(0, 10, new long[] { 128 });
    }

    [Benchmark(Baseline = true, Description = "hand-written nn.Sequential + nn.BatchNorm")]
    public void HandWrittenStep() => Step(_handWritten, _handWrittenOptimizer);

    [Benchmark(Description = "generated [BatchNormalized]")]
    public void GeneratedStep() => Step(_generated, _generatedOptimizer);

    private void Step(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
    {
        using var scope = CallerScope ? NewDisposeScope() : null;
        if (Mode == "eval")
        {
            using var noGrad = no_grad();
            using var prediction = model.forward(_images);
            return;
        }

        optimizer.zero_grad();
        using var output = model.forward(_images);
        using var loss = nn.functional.cross_entropy(output, _labels);
        loss.backward();
        optimizer.step();
    }
}

/// <summary>Inference of SimpleNetBN: with BN sites, after FuseBatchNorm(), hand-written with BN, and without BN.</summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class InferenceBenchmarks
{
    private SimpleNetBN _generated = null!;
    private SimpleNetBN _fused = null!;
    private nn.Module<Tensor, Tensor> _handWritten = null!;
    private nn.Module<Tensor, Tensor> _withoutBatchNorm = null!;
    private Tensor _images = null!;

    [Params(1, 64, 1024)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(2);
        manual_seed(1);
        _generated = new SimpleNetBN();
        _generated.train();
        using (no_grad())
        {
            for (int i = 0; i < 10; i++)
                _generated.forward(rand(64, 1, 28, 28));
        }

        _generated.eval();
        _fused = new SimpleNetBN();
        _fused.load_state_dict(_generated.state_dict());
        _fused.eval();
        _fused.FuseBatchNorm();
        _handWritten = HandWritten.SimpleNetBN();
        _handWritten.load_state_dict(_generated.state_dict());
        _handWritten.eval();
        _withoutBatchNorm = HandWritten.SimpleNet();
        _withoutBatchNorm.load_state_dict(_generated.state_dict(), strict: false);
        _withoutBatchNorm.eval();
        _images = rand(Batch, 1, 28, 28);
    }

    [Benchmark(Baseline = true, Description = "without BN (hand-written)")]
    public void WithoutBatchNorm() => Infer(_withoutBatchNorm);

    [Benchmark(Description = "generated, after FuseBatchNorm()")]
    public void Fused() => Infer(_fused);

    [Benchmark(Description = "generated, with BN")]
    public void Generated() => Infer(_generated);

    [Benchmark(Description = "hand-written nn.BatchNorm1d")]
    public void HandWrittenWithBatchNorm() => Infer(_handWritten);

    private void Infer(nn.Module<Tensor, Tensor> model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        model.forward(_images);
    }
}
