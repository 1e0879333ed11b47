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

    public static Tensor Apply(Tensor input, Tensor? weight, Tensor? bias, Tensor mean, Tensor variance, double eps, long globalCount, BatchNormSite site, IBatchStatisticsReducer reducer) =>
        apply(input, weight!, bias!, mean, variance, eps, globalCount, site, reducer);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var weight = vars[1] as Tensor;
        var bias = vars[2] as Tensor;
        var mean = (Tensor)vars[3];
        var variance = (Tensor)vars[4];
        double eps = (double)vars[5];
        ctx.save_for_backward([input, weight!, mean, variance]);
        ctx.save_data("eps", eps);
        ctx.save_data("count", vars[6]);
        ctx.save_data("site", vars[7]);
        ctx.save_data("reducer", vars[8]);
        ctx.save_data("affine", weight is not null);
        ctx.save_data("shift", bias is not null);
        return nn.functional.batch_norm(input, mean, variance, weight, bias, training: false, momentum: 0, eps: eps);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        Tensor input = saved[0];
        Tensor? weight = (bool)ctx.get_data("affine") ? saved[1] : null;
        Tensor mean = saved[2];
        Tensor variance = saved[3];
        double eps = (double)ctx.get_data("eps");
        long count = (long)ctx.get_data("count");
        var site = (BatchNormSite)ctx.get_data("site");
        var reducer = (IBatchStatisticsReducer)ctx.get_data("reducer");
        bool shift = (bool)ctx.get_data("shift");
        long channels = site.NumFeatures;

        // Returning from here is the only way back into libtorch's engine: a managed exception thrown through it
        // would end the process. A failing reducer is recorded on the site and rethrown by its next call instead.
        try
        {
            using var scope = torch.NewDisposeScope();
            long[] reduceOver = ChannelLayout.ReductionDimensions(input);
            long[] channelShape = ChannelLayout.BroadcastShape(input);
            var invstd = (variance + eps).rsqrt();
            var centred = input - mean.reshape(channelShape);
            // Accumulated in at least float32, as ATen's kernels accumulate half-precision sums.
            var sumDy = gradOutput.sum(reduceOver, type: ChannelMoments.StatisticsDType(gradOutput.dtype));
            Tensor sumDyCentred;
            using (var product = gradOutput * centred)
                sumDyCentred = product.sum(reduceOver);

            var sums = torch.cat([sumDy, sumDyCentred]).to(ScalarType.Float64);
            reducer.SumGradients(site, sums);
            // In the statistics' dtype: float32 for half-precision input, whose gradient is rounded back at the end.
            var global = sums.to(mean.dtype).div_((double)count);
            var meanDy = global.narrow(0, 0, channels);
            var meanDyCentred = global.narrow(0, channels, channels);

            // dx = a·dy + b·(x − mean) + c per channel, with a = w·invstd, b = −a·invstd²·mean(dy·(x − mean)),
            // c = −a·mean(dy), written into the centred input in place: large fresh tensors cost more than
            // arithmetic here (every new buffer is paged in), so backward allocates two, not five.
            var inputScale = weight is null ? invstd : invstd * weight;
            var centredScale = -(meanDyCentred * invstd.square() * inputScale);
            var offset = -(meanDy * inputScale);
            var gradInput = centred.mul_(centredScale.reshape(channelShape))
                .add_(offset.reshape(channelShape))
                .addcmul_(gradOutput, inputScale.reshape(channelShape), 1);
            // Mixed precision: statistics in float32 make the arithmetic float32; each gradient takes its tensor's dtype.
            var parameterDType = weight?.dtype ?? mean.dtype;
            var gradWeight = weight is null ? null : (sumDyCentred * invstd).to(parameterDType).MoveToOuterDisposeScope();
            var gradBias = shift ? sumDy.to(parameterDType).MoveToOuterDisposeScope() : null;
            gradInput = gradInput.to(input.dtype);
            return [gradInput.MoveToOuterDisposeScope(), gradWeight!, gradBias!, null!, null!, null!, null!, null!, null!];
        }
        catch (Exception failure)
        {
            site.RecordReplicaFailure(failure);
            return [torch.zeros_like(input), weight is null ? null! : torch.zeros_like(weight), shift ? torch.zeros(channels, input.dtype) : null!, null!, null!, null!, null!, null!, null!];
        }
    }
}
