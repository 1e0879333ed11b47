using System;
using System.Diagnostics;
using System.Text;
using System.Threading;
using BnGen.Mpi.Native;

namespace BnGen.Mpi;

// Before every collective: the header exchange that checks all ranks are doing the same, and the bounded wait.
public sealed unsafe partial class MpiWorld
{
    /// <returns>This rank's header, which every rank turned out to share.</returns>
    private CollectiveHeader Exchange(CollectiveKind kind, long count, ElementType type, string label)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (failure is not null)
            throw new MpiException($"Rank {Rank}: this MPI world failed earlier and the ranks no longer agree on where they are; first failure: {failure.Message}", failure);

        var mine = CollectiveHeader.Create(++sequence, kind, count, type, label);
        var all = new CollectiveHeader[Size];
        int bytes = sizeof(CollectiveHeader);
        fixed (CollectiveHeader* receive = all)
        {
            Check(Mpich.MPI_Iallgather((IntPtr)(&mine), bytes, Mpich.Byte, (IntPtr)receive, bytes, Mpich.Byte, Mpich.CommWorld, out int request), "MPI_Iallgather", label);
            Wait(ref request, mine);
        }

        bool agreed = true;
        foreach (var other in all)
            agreed &= other.Equals(mine);
        if (agreed)
            return mine;

        var table = new StringBuilder();
        table.Append($"MPI ranks disagree on the next collective operation (seen by rank {Rank} of {Size}); each rank is on a different path:");
        for (int r = 0; r < all.Length; r++)
            table.Append($"\n  rank {r}: {all[r].Describe()}");
        table.Append("\nConvert the same network on every rank (SyncBatchNorm.Convert), with the same layer widths, and run the same steps.");
        throw Fail(new MpiMismatchException(table.ToString()));
    }

    // The operation is described only when something fails: the happy path builds no strings.
    // The timeout bounds the whole wait, the diagnosis of who is missing included: the collective gets the timeout
    // less the diagnosis's share (DiagnosisShare), so a stalled rank is reported within the timeout, not after it.
    private void Wait(ref int request, in CollectiveHeader operation)
    {
        var clock = Stopwatch.StartNew();
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
