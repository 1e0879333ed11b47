using System;
using System.Diagnostics;
using System.Text;
using System.Threading;
using BnGen.Mpi.Native;

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
public sealed unsafe partial class MpiWorld : IDisposable
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

    private static string ReadProcessorName()
    {
        byte* name = stackalloc byte[256];
        return Mpich.MPI_Get_processor_name(name, out int length) == Mpich.Success ? Encoding.ASCII.GetString(name, length) : "unknown host";
    }
}
