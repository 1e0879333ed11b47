using System;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using BnGen.Mpi.Native;

namespace BnGen.Mpi;

// When a collective fails: which ranks are absent and why, the failed state, MPI error codes as messages.
public sealed unsafe partial class MpiWorld
{
    /// <summary>The part of the timeout kept for asking which ranks are there: a quarter of it, at most 5 s.</summary>
    private TimeSpan DiagnosisShare => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(5).Ticks, timeout.Ticks / 4));

    /// <summary>
    /// After a timeout: every rank that times out tells every other rank where it is (point to point, on a tag of
    /// its own); whoever has not said so within a grace period is named as not there — died, stalled, or elsewhere.
    /// Costs nothing until something has gone wrong.
    /// </summary>
    private string DescribeAbsentRanks()
    {
        const int PresenceTag = 0x4247; // "BG"
        var grace = DiagnosisShare;
        long position = sequence;
        long* outbox = stackalloc long[1];
        *outbox = position;
        var heard = new long[Size];
        var receives = new int[Size];
        var sends = new int[Size];
        var answered = new bool[Size];
        answered[Rank] = true;
        fixed (long* inbox = heard)
        {
            for (int r = 0; r < Size; r++)
            {
                if (r == Rank)
                    continue;
                if (Mpich.MPI_Irecv((IntPtr)(inbox + r), 1, Mpich.Int64, r, PresenceTag, Mpich.CommWorld, out receives[r]) != Mpich.Success ||
                    Mpich.MPI_Isend((IntPtr)outbox, 1, Mpich.Int64, r, PresenceTag, Mpich.CommWorld, out sends[r]) != Mpich.Success)
                    return "at least one of them is stuck, on another path, or gone";
            }

            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < grace && answered.Any(a => !a))
            {
                for (int r = 0; r < Size; r++)
                {
                    if (!answered[r] && Mpich.MPI_Test(ref receives[r], out int done, Mpich.StatusIgnore) == Mpich.Success && done != 0)
                        answered[r] = true;
                }

                Thread.Sleep(1);
            }
        }

        // The pending requests are abandoned: this world refuses further use, and the process is about to stop.
        var absent = Enumerable.Range(0, Size).Where(r => !answered[r]).ToList();
        var elsewhere = Enumerable.Range(0, Size).Where(r => answered[r] && r != Rank && heard[r] != position).ToList();
        var parts = new System.Collections.Generic.List<string>();
        if (absent.Count > 0)
            parts.Add($"{(absent.Count == 1 ? "rank" : "ranks")} {string.Join(", ", absent)} did not answer within {grace.TotalSeconds:0.#} s (died, stalled, or running something else)");
        if (elsewhere.Count > 0)
            parts.Add($"{string.Join(", ", elsewhere.Select(r => $"rank {r} is waiting at collective #{heard[r]}"))}");
        return parts.Count > 0 ? string.Join("; ", parts) : "every rank answered but the collective did not complete";
    }

    /// <summary>Remembers <paramref name="error"/>, so that the world refuses further collectives, and returns it to throw.</summary>
    private MpiException Fail(MpiException error)
    {
        failure = error;
        return error;
    }

    private static void Check(int code, string call, string? label = null)
    {
        if (code == Mpich.Success)
            return;
        byte* text = stackalloc byte[Mpich.MaxErrorString];
        string reason = Mpich.MPI_Error_string(code, text, out int length) == Mpich.Success
            ? Encoding.ASCII.GetString(text, length)
            : $"error code {code}";
        throw new MpiException(label is null ? $"{call} failed: {reason}" : $"{call} for \"{label}\" failed: {reason}");
    }
}
