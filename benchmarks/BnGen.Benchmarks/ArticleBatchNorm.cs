using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// The article's CustomBatchNorm formulation, composed of separate tensor operations, written correctly
/// (biased variance to normalize, unbiased for the running average). Its scalars are created once, so it
/// measures arithmetic rather than the native Scalar allocations a naive version leaks on every call.
/// </summary>
public sealed class ArticleBatchNorm : System.IDisposable
{
    private readonly Tensor _gamma;
    private readonly Tensor _beta;
    private readonly Tensor _runningMean;
    private readonly Tensor _runningVar;
    private readonly long[] _reduce;
    private readonly long[] _perChannel;
    private readonly Scalar _eps = 1e-5;
    private readonly Scalar _keep = 0.9;
    private readonly Scalar _take = 0.1;

    public ArticleBatchNorm(long channels, int rank)
    {
        _gamma = ones(channels).requires_grad_();
        _beta = zeros(channels).requires_grad_();
        _runningMean = zeros(channels);
        _runningVar = ones(channels);
        _reduce = rank == 2 ? new long[] { 0 } : new long[] { 0, 2, 3 };
        _perChannel = rank == 2 ? new long[] { 1, channels } : new long[] { 1, channels, 1, 1 };
    }

    public Tensor Gamma => _gamma;

    public Tensor Train(Tensor x)
    {
        long n = x.NumberOfElements / x.size(1);
        var mean = x.mean(_reduce, keepdim: true);
        var centered = x - mean;
        var variance = (centered * centered).mean(_reduce, keepdim: true);
        using (no_grad())
        {
            using var unbiased = variance.detach() * ((double)n / (n - 1));
            _runningMean.mul_(_keep).add_(mean.detach().reshape(-1), _take);
            _runningVar.mul_(_keep).add_(unbiased.reshape(-1), _take);
        }

        var normalized = centered / (variance + _eps).sqrt();
        return normalized * _gamma.reshape(_perChannel) + _beta.reshape(_perChannel);
    }

    public Tensor Eval(Tensor x)
    {
        var normalized = (x - _runningMean.reshape(_perChannel)) / (_runningVar.reshape(_perChannel) + _eps).sqrt();
        return normalized * _gamma.reshape(_perChannel) + _beta.reshape(_perChannel);
    }

    public void Dispose()
    {
        _gamma.Dispose();
        _beta.Dispose();
        _runningMean.Dispose();
        _runningVar.Dispose();
    }
}
