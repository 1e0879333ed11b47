using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using BnGen.Mpi.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Mpi;

/// <summary>
/// This process's place among the processes of an MPI job (MPI_COMM_WORLD), and the collective operations BnGen
/// runs on CPU tensors: gather, sum, broadcast. Create one per process with <see cref="Initialize"/>, use it from
/// one thread at a time, and dispose it at the end (MPI_Finalize).
/// </summary>
/// <remarks>
/// <para>
/// Every collective first exchanges a small header — sequence number, operation, element count and type, and a
/// label such as the site's path — and checks that all ranks agree. Ranks that disagree all throw
/// <see cref="MpiMismatchException"/> with what each rank was doing; none reduces a mismatched buffer.
/// </para>
/// <para>
/// Every wait is bounded by <see cref="MpiOptions.Timeout"/> (non-blocking collectives polled against a
/// deadline): a rank that never arrives makes the others throw <see cref="MpiTimeoutException"/> instead of hanging.
/// After any failure the world refuses further collectives, since the ranks no longer agree on where they are.
/// </para>
/// </remarks>
public sealed unsafe class MpiWorld : IDisposable
{
    private static int initialized;
    private readonly TimeSpan timeout;
    private long sequence;
    private long collectiveTicks;
    private Exception? failure;
    private bool disposed;

    private MpiWorld(int rank, int size, string processorName, TimeSpan timeout)
    {
        Rank = rank;
        Size = size;
        ProcessorName = processorName;
        this.timeout = timeout;
    }

    /// <summary>This process's rank, 0 … <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>How many processes the job has.</summary>
    public int Size { get; }

    /// <summary>The host this rank runs on, as MPI names it.</summary>
    public string ProcessorName { get; }

    /// <summary>
    /// Time this rank has spent inside collective operations so far — transfer, and waiting for slower ranks —
    /// for measuring what communication costs a training step.
    /// </summary>
    public TimeSpan CollectiveTime => Stopwatch.GetElapsedTime(0, collectiveTicks);

    /// <summary>Whether this is rank 0, the rank that writes outputs and whose parameters the others start from.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>
    /// Initializes MPI for this process (once per process). Run the program under <c>mpirun</c> for several ranks;
    /// started alone it is a job of one.
    /// </summary>
    /// <exception cref="InvalidOperationException">MPI was already initialized in this process.</exception>
    /// <exception cref="DllNotFoundException">No MPICH library was found (the message says how to install it).</exception>
    public static MpiWorld Initialize(MpiOptions? options = null)
    {
        options ??= new MpiOptions();
        if (options.Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), options.Timeout, "The collective timeout must be positive.");
        if (Interlocked.Exchange(ref initialized, 1) == 1)
            throw new InvalidOperationException("MPI is initialized once per process; share the MpiWorld you created.");

        Mpich.EnsureResolver();
        Check(Mpich.MPI_Init_thread(IntPtr.Zero, IntPtr.Zero, Mpich.ThreadSerialized, out int provided), "MPI_Init_thread");
        if (provided < Mpich.ThreadSerialized)
            throw new MpiException($"The MPI library provides thread level {provided}; BnGen needs MPI_THREAD_SERIALIZED (2), since libtorch's engine may run backward on its own thread.");

        // Errors come back as return codes (turned into exceptions) instead of aborting the job silently.
        Check(Mpich.MPI_Comm_set_errhandler(Mpich.CommWorld, Mpich.ErrorsReturn), "MPI_Comm_set_errhandler");
        Check(Mpich.MPI_Comm_rank(Mpich.CommWorld, out int rank), "MPI_Comm_rank");
        Check(Mpich.MPI_Comm_size(Mpich.CommWorld, out int size), "MPI_Comm_size");
        return new MpiWorld(rank, size, ReadProcessorName(), options.Timeout);
    }

    /// <summary>
    /// Runs <paramref name="main"/> as this rank's program: initializes MPI, and if <paramref name="main"/> throws,
    /// prints <c>rank r of N on host: error</c> and ends the whole job (MPI_Abort, exit code 1), so the other ranks
    /// stop now instead of waiting for this one. A <see cref="MpiMismatchException"/>, which every rank sees at once,
    /// ends each rank normally with exit code 3 after its message. Otherwise returns <paramref name="main"/>'s exit
    /// code after MPI_Finalize.
    /// </summary>
    /// <remarks>An exception that escapes <c>Main</c> instead takes the .NET runtime down in a way MPICH's launcher
    /// does not always notice, leaving the other ranks to wait out <see cref="MpiOptions.Timeout"/>.</remarks>
    public static int Run(Func<MpiWorld, int> main, MpiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(main);
        var world = Initialize(options);
        int exitCode;
        try
        {
            exitCode = main(world);
        }
        catch (Exception error)
        {
            Console.Out.Flush();
            Console.Error.WriteLine($"rank {world.Rank} of {world.Size} on {world.ProcessorName}: {error.GetType().Name}: {error.Message}");
            Console.Error.Flush();
            if (error is MpiMismatchException)
            {
                // Every rank saw the same table and is here too, with nothing in flight: finish cleanly, so that
                // each rank's message gets out before the launcher tears the job down.
                world.Dispose();
                return 3;
            }

            // MPI_Abort makes the launcher kill every rank at once; give it a moment to forward this message first.
            Thread.Sleep(TimeSpan.FromMilliseconds(300));
            world.Abort(1);
            return 1;
        }

        world.Dispose();
        return exitCode;
    }

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
        Collective(CollectiveKind.AllGather, count, type, label, (out int request) =>
            Mpich.MPI_Iallgather(send, elements, DataType(type), receive, elements, DataType(type), Mpich.CommWorld, out request));

        if (!ReferenceEquals(source, local))
            source.Dispose();
        return gathered;
    }

    /// <summary>Replaces <paramref name="buffer"/> (contiguous, CPU, float32/float64/int64) by its sum over all ranks.</summary>
    public void AllReduceSum(Tensor buffer, string label)
    {
        RequireContiguous(buffer, label);
        ElementType type = TypeOf(buffer);
        long count = buffer.NumberOfElements;
        IntPtr data = Address(buffer);
        int elements = Count(count, label);
        Collective(CollectiveKind.AllReduceSum, count, type, label, (out int request) =>
            Mpich.MPI_Iallreduce(Mpich.InPlace, data, elements, DataType(type), Mpich.Sum, Mpich.CommWorld, out request));
    }

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

    /// <summary>
    /// Ends the whole job now (MPI_Abort): for a rank that cannot go on, so that the launcher stops every rank
    /// instead of leaving them waiting. Print the reason first; this does not return.
    /// </summary>
    public void Abort(int exitCode)
    {
        Mpich.MPI_Abort(Mpich.CommWorld, exitCode);
        Environment.Exit(exitCode);
    }

    /// <summary>Finalizes MPI. Every rank must dispose its world (MPI_Finalize is collective).</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        if (Mpich.MPI_Finalized(out int finalized) == Mpich.Success && finalized == 0)
            Mpich.MPI_Finalize();
    }

    private delegate int StartCollective(out int request);

    /// <summary>
    /// One collective operation: the header exchange that checks every rank is doing the same, then the operation
    /// itself (<paramref name="start"/>; none for an agreement), waited for against the deadline, and timed.
    /// </summary>
    private void Collective(CollectiveKind kind, long count, ElementType type, string label, StartCollective? start)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            var operation = Exchange(kind, count, type, label);
            if (start is null)
                return;
            int code = start(out int request);
            if (code != Mpich.Success)
                Check(code, "MPI", operation.Describe());
            Wait(ref request, operation);
        }
        finally
        {
            collectiveTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    // Tensor storage is native memory that does not move: its address stays valid while the tensor lives.
    private static IntPtr Address(Tensor tensor) =>
        tensor.NumberOfElements == 0 ? IntPtr.Zero : (IntPtr)Unsafe.AsPointer(ref MemoryMarshal.GetReference(tensor.bytes));

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
    private void Wait(ref int request, in CollectiveHeader operation)
    {
        var clock = Stopwatch.StartNew();
        var spinner = new SpinWait();
        while (true)
        {
            int code = Mpich.MPI_Test(ref request, out int done, Mpich.StatusIgnore);
            if (code != Mpich.Success)
                Check(code, "MPI_Test", operation.Describe());
            if (done != 0)
                return;
            if (clock.Elapsed > timeout)
            {
                throw Fail(new MpiTimeoutException(
                    $"Rank {Rank} of {Size} on {ProcessorName} waited {timeout.TotalSeconds:0.#} s for the other ranks in {operation.Describe()}; {DescribeAbsentRanks()}. Stopping instead of waiting forever."));
            }

            // Yield rather than sleep: a millisecond's sleep would dominate a sub-millisecond reduction.
            spinner.SpinOnce(sleep1Threshold: -1);
        }
    }

    /// <summary>
    /// After a timeout: every rank that times out tells every other rank where it is (point to point, on a tag of
    /// its own); whoever has not said so within a grace period is named as not there — died, stalled, or elsewhere.
    /// Costs nothing until something has gone wrong.
    /// </summary>
    private string DescribeAbsentRanks()
    {
        const int PresenceTag = 0x4247; // "BG"
        var grace = TimeSpan.FromSeconds(Math.Min(5, Math.Max(1, timeout.TotalSeconds / 2)));
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

    private static string ReadProcessorName()
    {
        byte* name = stackalloc byte[256];
        return Mpich.MPI_Get_processor_name(name, out int length) == Mpich.Success ? Encoding.ASCII.GetString(name, length) : "unknown host";
    }
}
