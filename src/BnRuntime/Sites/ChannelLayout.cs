using System;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>Where the channels are in a batch-norm input [N, C, ...]: what to reduce over, and how to broadcast.</summary>
internal static class ChannelLayout
{
    /// <summary>Every dimension but 1 (the channel): 0, 2, 3, ...</summary>
    public static long[] ReductionDimensions(Tensor input)
    {
        if (input.Dimensions < 2)
            throw new ArgumentException($"Expected input [N, C, ...]; got a {input.Dimensions}-d input.", nameof(input));
        var dimensions = new long[input.Dimensions - 1];
        dimensions[0] = 0;
        for (int i = 1; i < dimensions.Length; i++)
            dimensions[i] = i + 1;
        return dimensions;
    }

    /// <summary>[1, C, 1, ...]: the shape that broadcasts a per-channel vector against <paramref name="input"/>.</summary>
    public static long[] BroadcastShape(Tensor input)
    {
        var shape = new long[input.Dimensions];
        Array.Fill(shape, 1L);
        shape[1] = input.size(1);
        return shape;
    }
}
