using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace BnGen.PyTorch.Tests;

/// <summary>
/// The conv and fc weights of the ResNet-18 fixtures, computed here bit for bit as make_lifecycle_fixtures.py's
/// <c>hashed_weights</c> computes them, so that 45 MB of weights need not be committed: a 32-bit integer hash of each
/// element's index, then float64 operations that are correctly rounded everywhere (no pow, no fused multiply-add), then
/// one rounding to float32. The fixture's own checkpoint holds the rest (batch norms), which PyTorch computed.
/// </summary>
internal static class HashedWeights
{
    /// <summary>Fills <paramref name="model"/>'s conv and fc tensors, as <c>fill_hashed</c> does; returns their keys.</summary>
    public static IReadOnlyList<string> Fill(nn.Module model)
    {
        var state = model.state_dict();
        var keys = state.Keys
            .Where(k => k.Contains("conv", StringComparison.Ordinal) || k.Contains("downsample.0", StringComparison.Ordinal) || k.StartsWith("fc.", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();
        using var noGrad = no_grad();
        for (int index = 0; index < keys.Count; index++)
        {
            var target = state[keys[index]];
            long fanIn = state[keys[index].Replace(".bias", ".weight", StringComparison.Ordinal)][0].numel();
            using var values = Values(target.shape, (long)index << 24, Math.Sqrt(6.0 / fanIn));
            target.copy_(values);
        }

        return keys;
    }

    /// <summary>Uniform in [−bound, bound) from a hash of offset + i, element i of a tensor of <paramref name="shape"/>.</summary>
    public static Tensor Values(long[] shape, long offset, double bound)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            ulong h = (ulong)(offset + i) & 0xFFFFFFFF;
            for (int round = 0; round < 2; round++)
            {
                h ^= h >> 16;
                h = (h * 0x45D9F3B) & 0xFFFFFFFF;
            }

            h ^= h >> 16;
            double unit = h / 4294967296.0;
            values[i] = (float)((unit * 2.0 - 1.0) * bound);
        }

        return tensor(values).reshape(shape);
    }

    /// <summary>256 evenly strided elements of <paramref name="value"/>, as <c>strided_sample</c> takes them.</summary>
    public static Tensor StridedSample(Tensor value, int count = 256)
    {
        var flat = value.reshape(-1);
        long step = Math.Max(1, flat.numel() / count);
        return flat[TensorIndex.Slice(0, null, step)][TensorIndex.Slice(0, count)];
    }
}
