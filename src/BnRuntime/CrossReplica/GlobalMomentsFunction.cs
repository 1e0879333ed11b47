using System;
using System.Collections.Generic;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// The autograd node between a replica's slice and the global mean and biased variance. Forward hands back the
/// statistics already combined across replicas; backward sums every replica's gradient with respect to them
/// (through <see cref="IBatchStatisticsReducer.SumGradients"/>) and turns the sum into this slice's gradient:
/// ∂mean/∂xᵢ = 1/N and ∂var/∂xᵢ = 2(xᵢ − mean)/N, with N the global count.
/// </summary>
internal sealed class GlobalMomentsFunction : autograd.MultiTensorFunction<GlobalMomentsFunction>
{
    public override string Name => nameof(GlobalMomentsFunction);

    /// <summary>Applies the node: returns [mean, biased variance], both [C] in the input's dtype.</summary>
    public static (Tensor Mean, Tensor Variance) Apply(Tensor input, Tensor mean, Tensor variance, long globalCount, BatchNormSite site, IBatchStatisticsReducer reducer)
    {
        var outputs = apply(input, mean, variance, globalCount, site, reducer);
        return (outputs[0], outputs[1]);
    }

    public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var mean = (Tensor)vars[1];
        var variance = (Tensor)vars[2];
        ctx.save_for_backward([input, mean]);
        ctx.save_data("count", vars[3]);
        ctx.save_data("site", vars[4]);
        ctx.save_data("reducer", vars[5]);
        return [mean.clone(), variance.clone()];
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
    {
        var saved = ctx.get_saved_variables();
        Tensor input = saved[0];
        Tensor mean = saved[1];
        long count = (long)ctx.get_data("count");
        var site = (BatchNormSite)ctx.get_data("site");
        var reducer = (IBatchStatisticsReducer)ctx.get_data("reducer");
        long channels = site.NumFeatures;

        // Returning from here is the only way back into libtorch's engine: a managed exception thrown through it
        // would end the process. A failing reducer is recorded on the site and rethrown by its next call instead.
        Tensor gradInput;
        try
        {
            using var scope = torch.NewDisposeScope();
            var summed = torch.cat([Flat(gradOutputs[0], channels), Flat(gradOutputs[1], channels)]).to(ScalarType.Float64).contiguous();
            reducer.SumGradients(site, summed);
            long[] channelShape = ChannelMoments.ChannelShape(input);
            var gradMean = summed[TensorIndex.Slice(0, channels)].to(input.dtype).reshape(channelShape);
            var gradVariance = summed[TensorIndex.Slice(channels)].to(input.dtype).reshape(channelShape);
            gradInput = ((gradMean + (input - mean.reshape(channelShape)) * gradVariance * 2.0) / (double)count).MoveToOuterDisposeScope();
        }
        catch (Exception failure)
        {
            site.RecordReplicaFailure(failure);
            gradInput = torch.zeros_like(input);
        }

        return [gradInput, null!, null!, null!, null!, null!];
    }

    private static Tensor Flat(Tensor? gradient, long channels) =>
        gradient is null || gradient.IsInvalid ? torch.zeros(channels, ScalarType.Float64) : gradient.reshape(channels);
}
