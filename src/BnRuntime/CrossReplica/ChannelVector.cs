using System;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Per-channel vectors moved between tensors and managed memory. A synchronized site's per-channel work — Chan's
/// combination, the running averages, backward's coefficients — is a few hundred numbers: done in managed code it
/// costs no operator call, where done with tensor operations it cost a TorchSharp call (a few microseconds) per step
/// of arithmetic, which is what made a synchronized site several times a local one's cost on small layers.
/// </summary>
internal static class ChannelVector
{
    /// <summary>Copies <paramref name="tensor"/>'s values (any dtype or device) into <paramref name="values"/>.</summary>
    public static void Read(Tensor tensor, Span<double> values)
    {
        if (values.Length != tensor.NumberOfElements)
            throw new ArgumentException($"Expected {values.Length} values; the tensor holds {tensor.NumberOfElements}.", nameof(tensor));
        if (!IsDirect(tensor))
        {
            using var host = tensor.to(ScalarType.Float64, CPU).contiguous();
            Read(host, values);
            return;
        }

        if (tensor.dtype == ScalarType.Float64)
        {
            MemoryMarshal.Cast<byte, double>(tensor.bytes).CopyTo(values);
            return;
        }

        var source = MemoryMarshal.Cast<byte, float>(tensor.bytes);
        for (int i = 0; i < values.Length; i++)
            values[i] = source[i];
    }

    /// <summary>A new tensor of <paramref name="shape"/>, <paramref name="dtype"/> and <paramref name="device"/> holding <paramref name="values"/>, each rounded once.</summary>
    public static Tensor Create(ReadOnlySpan<double> values, long[] shape, ScalarType dtype, Device device)
    {
        if (device.type != DeviceType.CPU || dtype is not (ScalarType.Float32 or ScalarType.Float64))
        {
            using var host = Create(values, shape, ScalarType.Float64, CPU);
            return host.to(dtype, device);
        }

        var tensor = empty(shape, dtype);
        Write(tensor, values);
        return tensor;
    }

    /// <summary>Overwrites <paramref name="tensor"/> (a running statistic, say) with <paramref name="values"/>, each rounded once.</summary>
    /// <remarks>Through <c>copy_</c>, not by writing its memory: an in-place operation bumps the tensor's version, so
    /// a graph that saved it for backward notices the change, as it would PyTorch's own update.</remarks>
    public static void Overwrite(Tensor tensor, ReadOnlySpan<double> values)
    {
        if (values.Length != tensor.NumberOfElements)
            throw new ArgumentException($"Expected {values.Length} values; the tensor holds {tensor.NumberOfElements}.", nameof(tensor));
        using var noGrad = no_grad();
        using var created = Create(values, tensor.shape, tensor.dtype, tensor.device);
        tensor.copy_(created);
    }

    private static bool IsDirect(Tensor tensor) =>
        tensor.device_type == DeviceType.CPU && tensor.dtype is (ScalarType.Float32 or ScalarType.Float64) && tensor.is_contiguous();

    private static void Write(Tensor tensor, ReadOnlySpan<double> values)
    {
        if (tensor.dtype == ScalarType.Float64)
        {
            values.CopyTo(MemoryMarshal.Cast<byte, double>(tensor.bytes));
            return;
        }

        var target = MemoryMarshal.Cast<byte, float>(tensor.bytes);
        for (int i = 0; i < values.Length; i++)
            target[i] = (float)values[i];
    }
}
