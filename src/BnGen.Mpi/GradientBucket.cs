using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Mpi;

/// <summary>
/// One dtype's gradients in one flat buffer that the all-reduce works on in place, with every parameter's gradient a
/// view into it, as PyTorch's <c>DistributedDataParallel(gradient_as_bucket_view=True)</c> keeps them. Once the views
/// are in place, backward accumulates into the buffer itself (autograd adds into an existing gradient in place), so a
/// step costs the all-reduce and one division: no concatenation into a fresh buffer, no copy back. A gradient that is
/// not its view any more — the first step, or after <c>zero_grad()</c> set gradients to null — is copied in and
/// replaced by its view afterwards.
/// </summary>
internal sealed class GradientBucket : IDisposable
{
    private readonly string[] names;
    private readonly long[][] shapes;
    private readonly long[] offsets;
    private readonly long[] counts;
    private readonly IntPtr start;

    private GradientBucket(string[] names, long[][] shapes, long[] offsets, long[] counts, Tensor buffer)
    {
        this.names = names;
        this.shapes = shapes;
        this.offsets = offsets;
        this.counts = counts;
        Buffer = buffer;
        start = AddressOf(buffer);
    }

    /// <summary>The flat buffer: each parameter's gradient at its offset, in the order given at creation.</summary>
    public Tensor Buffer { get; }

    /// <summary>A zeroed buffer for these parameters' gradients (all of one dtype, on the CPU).</summary>
    public static GradientBucket For(IReadOnlyList<(string Name, Tensor Gradient)> gradients)
    {
        var names = new string[gradients.Count];
        var shapes = new long[gradients.Count][];
        var offsets = new long[gradients.Count];
        var counts = new long[gradients.Count];
        long total = 0;
        for (int i = 0; i < gradients.Count; i++)
        {
            names[i] = gradients[i].Name;
            shapes[i] = gradients[i].Gradient.shape;
            offsets[i] = total;
            counts[i] = gradients[i].Gradient.NumberOfElements;
            total += counts[i];
        }

        // Outlives the caller's dispose scope: it is kept from step to step, and the gradients are views into it.
        var buffer = torch.zeros(total, gradients[0].Gradient.dtype).DetachFromDisposeScope();
        return new GradientBucket(names, shapes, offsets, counts, buffer);
    }

    /// <summary>Whether this bucket was made for exactly these parameters, in this order, with these shapes.</summary>
    public bool Holds(IReadOnlyList<(string Name, Tensor Gradient)> gradients)
    {
        if (gradients.Count != names.Length || Buffer.dtype != gradients[0].Gradient.dtype)
            return false;
        for (int i = 0; i < names.Length; i++)
        {
            if (!string.Equals(names[i], gradients[i].Name, StringComparison.Ordinal)
                || !shapes[i].AsSpan().SequenceEqual(gradients[i].Gradient.shape))
                return false;
        }

        return true;
    }

    /// <summary>
    /// Brings every gradient into the buffer: one that is already its view there is left alone, any other is copied.
    /// Returns the indices of the copied ones, whose parameters <see cref="AttachViews"/> re-points afterwards.
    /// </summary>
    public List<int> Gather(IReadOnlyList<(string Name, Tensor Gradient)> gradients)
    {
        var copied = new List<int>();
        using var noGrad = torch.no_grad();
        for (int i = 0; i < gradients.Count; i++)
        {
            var gradient = gradients[i].Gradient;
            if (IsViewAt(gradient, i))
                continue;
            using var slot = Slot(i);
            slot.copy_(gradient);
            copied.Add(i);
        }

        return copied;
    }

    /// <summary>Makes the gradients of the given parameters views into the buffer at their offsets.</summary>
    public void AttachViews(IReadOnlyList<Parameter> parameters, List<int> indices)
    {
        foreach (int i in indices)
        {
            using var slot = Slot(i);
            parameters[i].grad = slot;
        }
    }

    public void Dispose() => Buffer.Dispose();

    /// <summary>The parameter's part of the buffer, in the parameter's shape.</summary>
    private Tensor Slot(int index)
    {
        using var flat = Buffer.narrow(0, offsets[index], counts[index]);
        return flat.view(shapes[index]);
    }

    /// <summary>
    /// Whether the gradient occupies exactly its slot of the buffer: contiguous, the slot's length, starting at the
    /// slot's address. Nothing but a view of the buffer can start at an address inside it.
    /// </summary>
    private bool IsViewAt(Tensor gradient, int index) =>
        gradient.NumberOfElements == counts[index]
        && gradient.NumberOfElements > 0
        && gradient.is_contiguous()
        && AddressOf(gradient) == start + (nint)(offsets[index] * Buffer.ElementSize);

    private static unsafe IntPtr AddressOf(Tensor tensor) =>
        tensor.NumberOfElements == 0 ? IntPtr.Zero : (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));
}
