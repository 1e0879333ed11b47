using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BnGen.Mpi.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Mpi;

// The collectives BnGen runs (agree, gather, sum, broadcast) and what each needs of its tensors.
public sealed unsafe partial class MpiWorld
{
    /// <summary>Checks that every rank reached the same point with the same <paramref name="label"/>.</summary>
    /// <exception cref="MpiMismatchException">Some rank is elsewhere; the message lists every rank's operation.</exception>
    public void Agree(string label) => Collective(CollectiveKind.Agree, 0, ElementType.None, label, start: null);

    /// <summary>
    /// Gathers <paramref name="local"/> (a CPU tensor of the same length and dtype on every rank) from every rank:
    /// returns <c>[Size, local.numel]</c>, rows in rank order.
    /// </summary>
    public Tensor AllGather(Tensor local, string label)
    {
        var source = local.contiguous();
        ElementType type = TypeOf(source);
        long count = source.NumberOfElements;
        var gathered = torch.empty([Size, count], source.dtype);
        IntPtr send = Address(source);
        IntPtr receive = Address(gathered);
        int elements = Count(count, label);
        // The receive buffer is new and the send buffer only read, so the gather may start before the ranks are
        // known to agree: one round trip, not two.
        Collective(CollectiveKind.AllGather, count, type, label, (out int request) =>
            Mpich.MPI_Iallgather(send, elements, DataType(type), receive, elements, DataType(type), Mpich.CommWorld, out request),
            inFlight: [source, gathered]);

        if (!ReferenceEquals(source, local))
            source.Dispose();
        return gathered;
    }

    /// <summary>Replaces <paramref name="buffer"/> (contiguous, CPU, float32/float64/int64) by its sum over all ranks.</summary>
    /// <remarks>Buffers up to 256 KiB (a site's statistics) are reduced into a copy started together with the agreement
    /// check, one round trip, and copied back only once the ranks agree; larger ones (gradient buckets), whose transfer
    /// dwarfs a round trip, are reduced in place after it. Either way a mismatch leaves the buffer unchanged.</remarks>
    public void AllReduceSum(Tensor buffer, string label)
    {
        RequireContiguous(buffer, label);
        ElementType type = TypeOf(buffer);
        long count = buffer.NumberOfElements;
        IntPtr data = Address(buffer);
        int elements = Count(count, label);
        if (count * buffer.ElementSize > OverlappedBytes)
        {
            Collective(CollectiveKind.AllReduceSum, count, type, label, (out int request) =>
                Mpich.MPI_Iallreduce(Mpich.InPlace, data, elements, DataType(type), Mpich.Sum, Mpich.CommWorld, out request));
            return;
        }

        var sum = torch.empty_like(buffer);
        IntPtr result = Address(sum);
        Collective(CollectiveKind.AllReduceSum, count, type, label, (out int request) =>
            Mpich.MPI_Iallreduce(data, result, elements, DataType(type), Mpich.Sum, Mpich.CommWorld, out request),
            inFlight: [buffer, sum]);
        using (sum)
            buffer.copy_(sum);
    }

    /// <summary>Largest buffer whose all-reduce goes into a copy, overlapped with the agreement check.</summary>
    private const long OverlappedBytes = 256 * 1024;

    /// <summary>Overwrites <paramref name="buffer"/> on every rank with rank <paramref name="root"/>'s values.</summary>
    public void Broadcast(Tensor buffer, int root, string label)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        RequireContiguous(buffer, label);
        ElementType type = TypeOf(buffer);
        long count = buffer.NumberOfElements;
        IntPtr data = Address(buffer);
        int elements = Count(count, label);
        Collective(CollectiveKind.Broadcast, count, type, label, (out int request) =>
            Mpich.MPI_Ibcast(data, elements, DataType(type), root, Mpich.CommWorld, out request));
    }

    private delegate int StartCollective(out int request);

    /// <summary>
    /// One collective operation: the header exchange that checks every rank is doing the same, then the operation
    /// itself (<paramref name="start"/>; none for an agreement), all waited for against one deadline, and timed.
    /// With <paramref name="inFlight"/> the operation starts right after the exchange, before its outcome is known —
    /// its buffers must be ones a disagreement may scribble on (fresh, or only read); they are kept alive if it fails.
    /// </summary>
    private void Collective(CollectiveKind kind, long count, ElementType type, string label, StartCollective? start, Tensor[]? inFlight = null)
    {
        var clock = Stopwatch.StartNew();
        int operationRequest = Mpich.RequestNull;
        try
        {
            int exchange = StartExchange(kind, count, type, label);
            if (start is not null && inFlight is not null)
                Check(start(out operationRequest), "MPI", label);
            var operation = FinishExchange(ref exchange, clock);
            if (start is null)
                return;
            if (inFlight is null)
                Check(start(out operationRequest), "MPI", operation.Describe());
            Wait(ref operationRequest, operation, clock);
        }
        catch (MpiException error)
        {
            // Whatever failed, the ranks no longer know where the others are: the world refuses further use.
            failure ??= error;
            if (operationRequest != Mpich.RequestNull && inFlight is not null)
            {
                foreach (var buffer in inFlight)
                    abandoned.Add(buffer.alias());
            }

            throw;
        }
        finally
        {
            collectiveTicks += clock.ElapsedTicks; // Stopwatch ticks: CollectiveTime reads them as timestamps
        }
    }

    // Tensor storage is native memory that does not move: its address stays valid while the tensor lives.
    private static IntPtr Address(Tensor tensor) =>
        tensor.NumberOfElements == 0 ? IntPtr.Zero : (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));

    private static void RequireContiguous(Tensor buffer, string label)
    {
        if (!buffer.is_contiguous() || buffer.device_type != DeviceType.CPU)
            throw new ArgumentException($"MPI buffer for \"{label}\" must be a contiguous CPU tensor.", nameof(buffer));
    }

    private static ElementType TypeOf(Tensor tensor) => tensor.dtype switch
    {
        ScalarType.Float32 => ElementType.Float32,
        ScalarType.Float64 => ElementType.Float64,
        ScalarType.Int64 => ElementType.Int64,
        _ => throw new ArgumentException($"BnGen's MPI collectives take float32, float64 or int64 tensors, not {tensor.dtype}."),
    };

    private static int DataType(ElementType type) => type switch
    {
        ElementType.Float32 => Mpich.Float,
        ElementType.Float64 => Mpich.Double,
        _ => Mpich.Int64,
    };

    private static int Count(long count, string label) => count <= int.MaxValue
        ? (int)count
        : throw new ArgumentException($"MPI buffer for \"{label}\" has {count} elements; one collective carries at most {int.MaxValue}.");
}
