using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Text;
using System.Threading;
using BnGen.Mpi.Native;
using TorchSharp;

namespace BnGen.Mpi;

// With every collective: the header exchange that checks all ranks are doing the same, and the bounded wait.
public sealed unsafe partial class MpiWorld
{
    // The headers live in pinned arrays, not on the stack: the exchange may still be in flight while the operation
    // it guards is started (see Collective), so its memory must outlive any one stack frame.
    private CollectiveHeader[]? headerOut;
    private CollectiveHeader[]? headersIn;

    // Buffers of an operation left in flight when its collective failed: MPI may still write into them, so they are
    // kept alive (never freed) for as long as this world lives. Only a failed world has any.
    private readonly List<torch.Tensor> abandoned = new();

    /// <summary>Starts the header exchange of the next collective; <see cref="FinishExchange"/> completes it.</summary>
    private int StartExchange(CollectiveKind kind, long count, ElementType type, string label)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (failure is not null)
            throw new MpiException($"Rank {Rank}: this MPI world failed earlier and the ranks no longer agree on where they are; first failure: {failure.Message}", failure);

        headerOut ??= GC.AllocateArray<CollectiveHeader>(1, pinned: true);
        headersIn ??= GC.AllocateArray<CollectiveHeader>(Size, pinned: true);
        headerOut[0] = CollectiveHeader.Create(++sequence, kind, count, type, label);
        int bytes = sizeof(CollectiveHeader);
        int request;
        fixed (CollectiveHeader* send = headerOut)
        fixed (CollectiveHeader* receive = headersIn)
            Check(Mpich.MPI_Iallgather((IntPtr)send, bytes, Mpich.Byte, (IntPtr)receive, bytes, Mpich.Byte, Mpich.CommWorld, out request), "MPI_Iallgather", label);
        return request;
    }

    /// <returns>This rank's header, which every rank turned out to share.</returns>
    private CollectiveHeader FinishExchange(ref int request, Stopwatch clock)
    {
        var mine = headerOut![0];
        Wait(ref request, mine, clock);

        bool agreed = true;
        foreach (var other in headersIn!)
            agreed &= other.Equals(mine);
        if (agreed)
            return mine;

        var table = new StringBuilder();
        table.Append($"MPI ranks disagree on the next collective operation (seen by rank {Rank} of {Size}); each rank is on a different path:");
        for (int r = 0; r < headersIn.Length; r++)
            table.Append($"\n  rank {r}: {headersIn[r].Describe()}");
        table.Append("\nConvert the same network on every rank (SyncBatchNorm.Convert), with the same layer widths, and run the same steps.");
        throw Fail(new MpiMismatchException(table.ToString()));
    }

    // The operation is described only when something fails: the happy path builds no strings.
    // The timeout bounds the whole collective, the diagnosis of who is missing included: every wait of one collective
    // shares one clock, and gets the timeout less the diagnosis's share (DiagnosisShare), so a stalled rank is
    // reported within the timeout, not after it.
    private void Wait(ref int request, in CollectiveHeader operation, Stopwatch clock)
    {
        var waitFor = timeout - DiagnosisShare;
        var spinner = new SpinWait();
        while (true)
        {
            int code = Mpich.MPI_Test(ref request, out int done, Mpich.StatusIgnore);
            if (code != Mpich.Success)
                Check(code, "MPI_Test", operation.Describe());
            if (done != 0)
                return;
            if (clock.Elapsed > waitFor)
            {
                string absent = DescribeAbsentRanks();
                throw Fail(new MpiTimeoutException(
                    $"Rank {Rank} of {Size} on {ProcessorName} waited {clock.Elapsed.TotalSeconds:0.0} s (timeout {timeout.TotalSeconds:0.#} s) for the other ranks in {operation.Describe()}; {absent}. Stopping instead of waiting forever."));
            }

            // Yield rather than sleep: a millisecond's sleep would dominate a sub-millisecond reduction.
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }
}
