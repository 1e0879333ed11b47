using System.Collections.Generic;
using BenchmarkDotNet.Attributes;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// One batch-norm site: BnRuntime's entry point as generated code calls it, against TorchSharp's
/// nn.BatchNorm1d/2d (the baseline), torch.nn.functional.batch_norm, and the article's composed formula.
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class SiteBenchmarks
{
    private Tensor _input = null!;
    private Tensor _upstream = null!;
    private BatchNormSite _site = null!;
    private BatchNorm _native = null!;
    private ArticleBatchNorm _article = null!;
    private Tensor _weight = null!;
    private Tensor _bias = null!;
    private Tensor _runningMean = null!;
    private Tensor _runningVar = null!;
    private bool _conv;

    public static IEnumerable<string> ShapeValues => new[] { "256x64", "256x128", "1024x512", "64x32x28x28", "128x16x14x14" };

    [ParamsSource(nameof(ShapeValues))]
    public string Shape { get; set; } = "256x64";

    [Params("train-forward", "train-forward-backward", "eval-forward")]
    public string Mode { get; set; } = "train-forward";

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(2);
        long[] shape = System.Array.ConvertAll(Shape.Split('x'), long.Parse);
        long channels = shape[1];
        _conv = shape.Length == 4;
        manual_seed(1);
        _input = randn(shape);
        _upstream = randn(shape);
        _site = new BatchNormSite("site", channels, input: _conv ? BatchNormInputKind.Conv2d : BatchNormInputKind.Dense);
        _native = _conv ? nn.BatchNorm2d(channels) : nn.BatchNorm1d(channels);
        _article = new ArticleBatchNorm(channels, shape.Length);
        _weight = ones(channels).requires_grad_();
        _bias = zeros(channels).requires_grad_();
        _runningMean = zeros(channels);
        _runningVar = ones(channels);
        bool training = Mode != "eval-forward";
        _site.train(training);
        _native.train(training);
        if (Mode == "train-forward-backward")
            _input.requires_grad_();
    }

    [Benchmark(Baseline = true, Description = "TorchSharp nn.BatchNorm")]
    public void TorchSharpModule() => Run(x => _native.forward(x));

    [Benchmark(Description = "BnRuntime site")]
    public void BnRuntimeSite() => Run(x => _site.call(x));

    [Benchmark(Description = "functional.batch_norm")]
    public void Functional() => Run(x => nn.functional.batch_norm(x, _runningMean, _runningVar, _weight, _bias, Mode != "eval-forward", 0.1, 1e-5));

    [Benchmark(Description = "article formula")]
    public void Article() => Run(x => Mode == "eval-forward" ? _article.Eval(x) : _article.Train(x));

    private void Run(System.Func<Tensor, Tensor> normalize)
    {
        using var scope = NewDisposeScope();
        if (Mode == "eval-forward")
        {
            using var noGrad = no_grad();
            normalize(_input);
            return;
        }

        var y = normalize(_input);
        if (Mode == "train-forward-backward")
            y.backward(new[] { _upstream });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _site.Dispose();
        _native.Dispose();
        _article.Dispose();
    }
}
