using BenchmarkDotNet.Attributes;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// The managed cost around the kernel: a [4, 2] input makes ATen's work negligible, so what remains is each
/// path's own overhead (validation, the batch counter, argument marshalling). Site, module and functional
/// call the same kernel, so on real shapes they differ only by this.
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class SiteOverheadBenchmarks
{
    private Tensor _input = null!;
    private BatchNormSite _site = null!;
    private BatchNorm1d _native = null!;
    private Tensor _weight = null!;
    private Tensor _bias = null!;
    private Tensor _runningMean = null!;
    private Tensor _runningVar = null!;

    [Params(true, false)]
    public bool Training { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        _input = randn(4, 2);
        _site = new BatchNormSite("site", 2, input: BatchNormInputKind.Dense);
        _native = nn.BatchNorm1d(2);
        _weight = ones(2);
        _bias = zeros(2);
        _runningMean = zeros(2);
        _runningVar = ones(2);
        _site.train(Training);
        _native.train(Training);
    }

    [Benchmark(Baseline = true, Description = "TorchSharp nn.BatchNorm1d")]
    public void Module()
    {
        using var noGrad = no_grad();
        _native.forward(_input).Dispose();
    }

    [Benchmark(Description = "BnRuntime site")]
    public void Site()
    {
        using var noGrad = no_grad();
        _site.call(_input).Dispose();
    }

    [Benchmark(Description = "functional.batch_norm")]
    public void Functional()
    {
        using var noGrad = no_grad();
        nn.functional.batch_norm(_input, _runningMean, _runningVar, _weight, _bias, Training, 0.1, 1e-5).Dispose();
    }
}
