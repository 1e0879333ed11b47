using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// The autograd node of a synchronized site in training. Forward normalizes with the global batch's mean and
/// biased variance through ATen's fused kernel (its eval form, which takes the statistics as given). Backward
/// is batch norm's own: it sums Σdy and Σdy·(x − mean) per channel over the replicas
/// (<see cref="IBatchStatisticsReducer.SumGradients"/>), then
/// dx = w·invstd·(dy − Σdy/N − (x − mean)·invstd²·Σdy·(x − mean)/N), with N the global count; the weight and
/// bias get this replica's share, Σdy·(x − mean)·invstd and Σdy, which data parallelism then averages.
/// </summary>
internal sealed class SynchronizedBatchNormFunction : autograd.SingleTensorFunction<SynchronizedBatchNormFunction>
{
    public override string Name => nameof(SynchronizedBatchNormFunction);

    public static Tensor Apply(Tensor input, Tensor? weight, Tensor? bias, GlobalStatistics statistics, BatchNormSite site, IBatchStatisticsReducer reducer) =>
        apply(input, weight!, bias!, new Step(statistics, site, reducer, weight is not null, bias is not null));

    /// <summary>What backward needs besides the saved tensors, saved as one object.</summary>
    private sealed record Step(GlobalStatistics Statistics, BatchNormSite Site, IBatchStatisticsReducer Reducer, bool Affine, bool Shift);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var weight = vars[1] as Tensor;
        var bias = vars[2] as Tensor;
        var step = (Step)vars[3];
        var statistics = step.Statistics;
        ctx.save_for_backward([input, weight!]);
        ctx.save_data(nameof(Step), step);
        long[] shape = [statistics.Channels];
        using var mean = ChannelVector.Create(statistics.Mean, shape, statistics.DType, input.device);
        using var variance = ChannelVector.Create(statistics.BiasedVariance, shape, statistics.DType, input.device);
        return nn.functional.batch_norm(input, mean, variance, weight, bias, training: false, momentum: 0, eps: statistics.Eps);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var (statistics, site, reducer, affine, shift) = (Step)ctx.get_data(nameof(Step));
        Tensor input = saved[0];
        Tensor? weight = affine ? saved[1] : null;
        int channels = statistics.Channels;

        // Returning from here is the only way back into libtorch's engine: a managed exception thrown through it
        // would end the process. A failing reducer is recorded on the site and rethrown by its next call instead.
        try
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad(); // the arithmetic below is the gradient, not something to differentiate
            long[] reduceOver = ChannelLayout.ReductionDimensions(input);
            long[] channelShape = ChannelLayout.BroadcastShape(input);
            var dtype = statistics.DType;
            // Half-precision input is worked on in the statistics' float32, and its gradient rounded back at the end.
            var x = input.dtype == dtype ? input : input.to(dtype);
            // Accumulated in at least float32, as ATen's kernels accumulate half-precision sums.
            var sumDy = gradOutput.sum(reduceOver, type: ChannelMoments.StatisticsDType(gradOutput.dtype));
            var sumDyCentred = (x - ChannelVector.Create(statistics.Mean, channelShape, dtype, input.device)).mul_(gradOutput).sum(reduceOver);

            // This replica's sums, then the global ones.
            var local = new double[2 * channels];
            ChannelVector.Read(sumDy, local.AsSpan(0, channels));
            ChannelVector.Read(sumDyCentred, local.AsSpan(channels, channels));
            var sums = ChannelVector.Create(local, [local.Length], ScalarType.Float64, CPU);
            reducer.SumGradients(site, sums);
            var global = new double[2 * channels];
            ChannelVector.Read(sums, global);

            // dx = a·dy + b·(x − mean) + c per channel, with a = w·invstd, b = −a·invstd²·mean(dy·(x − mean)),
            // c = −a·mean(dy). b·(x − mean) + c is batch norm's own eval transform with weight b/invstd and bias c:
            // one native pass over x into a new tensor, then a·dy added in place — fewer passes over large
            // activations than element-wise steps, and no intermediate buffer.
            var w = new double[channels];
            if (weight is null)
                Array.Fill(w, 1.0);
            else
                ChannelVector.Read(weight, w);
            var inputScale = new double[channels];
            var centredWeight = new double[channels];
            var offset = new double[channels];
            var weightGradient = new double[channels];
            double n = statistics.Count;
            for (int k = 0; k < channels; k++)
            {
                double invstd = statistics.InverseStd[k];
                inputScale[k] = w[k] * invstd;
                centredWeight[k] = -(global[channels + k] / n * invstd * inputScale[k]);
                offset[k] = -(global[k] / n * inputScale[k]);
                weightGradient[k] = local[channels + k] * invstd;
            }

            long[] vector = [channels];
            var gradInput = nn.functional.batch_norm(
                    x,
                    ChannelVector.Create(statistics.Mean, vector, dtype, input.device),
                    ChannelVector.Create(statistics.BiasedVariance, vector, dtype, input.device),
                    ChannelVector.Create(centredWeight, vector, dtype, input.device),
                    ChannelVector.Create(offset, vector, dtype, input.device),
                    training: false,
                    momentum: 0,
                    eps: statistics.Eps)
                .addcmul_(gradOutput, ChannelVector.Create(inputScale, channelShape, dtype, input.device), 1);
            // Mixed precision: statistics in float32 make the arithmetic float32; each gradient takes its tensor's dtype.
            var parameterDType = weight?.dtype ?? dtype;
            var gradWeight = weight is null ? null : ChannelVector.Create(weightGradient, [channels], parameterDType, weight.device).MoveToOuterDisposeScope();
            var gradBias = shift ? ChannelVector.Create(local.AsSpan(0, channels), [channels], parameterDType, input.device).MoveToOuterDisposeScope() : null;
            if (gradInput.dtype != input.dtype)
                gradInput = gradInput.to(input.dtype);
            return [gradInput.MoveToOuterDisposeScope(), gradWeight!, gradBias!, null!];
        }
        catch (Exception failure)
        {
            site.RecordReplicaFailure(failure);
            return [torch.zeros_like(input), weight is null ? null! : torch.zeros_like(weight), shift ? torch.zeros(channels, input.dtype) : null!, null!];
        }
    }
}
