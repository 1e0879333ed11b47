using System;
using System.Reflection;
using System.Runtime.InteropServices;

namespace BnGen.Mpi.Native;

/// <summary>
/// The few MPI calls BnGen needs, bound to MPICH's ABI: handles are 32-bit integers with the values below, the
/// ABI MPICH, Intel MPI and MS-MPI share. Open MPI's handles are pointers to its own structures, so this binding
/// (like MPI.NET's) cannot drive Open MPI; see docs/distributed.md.
/// </summary>
internal static class Mpich
{
    /// <summary>The library name the declarations bind; BNGEN_MPI_LIBRARY overrides it (a path or a soname).</summary>
    public const string Library = "libmpich.so.12";

    public const int Success = 0;
    public const int CommWorld = 0x44000000;
    public const int Byte = 0x4c00010d;
    public const int Float = 0x4c00040a;
    public const int Double = 0x4c00080b;
    public const int Int64 = 0x4c00083a;
    public const int Sum = 0x58000003;
    public const int ErrorsReturn = 0x54000001;
    public const int ThreadSerialized = 2;
    public const int MaxErrorString = 512;
    public static readonly IntPtr InPlace = new(-1);

    // MPI_REQUEST_NULL in MPICH's mpi.h: what MPI_Test leaves in a request once it has completed.
    public const int RequestNull = 0x2c000000;
    public static readonly IntPtr StatusIgnore = new(1);

    private static int resolverInstalled;

    /// <summary>Installs the library resolver; called before the first MPI call.</summary>
    public static void EnsureResolver()
    {
        if (System.Threading.Interlocked.Exchange(ref resolverInstalled, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(Mpich).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != Library)
            return IntPtr.Zero;
        string? chosen = Environment.GetEnvironmentVariable("BNGEN_MPI_LIBRARY");
        if (!string.IsNullOrWhiteSpace(chosen))
            return NativeLibrary.Load(chosen);
        if (NativeLibrary.TryLoad(Library, out IntPtr handle) || NativeLibrary.TryLoad("libmpich.so", out handle))
            return handle;
        throw new DllNotFoundException(
            "BnGen.Mpi needs MPICH's libmpich.so.12 (Debian/Ubuntu: apt-get install mpich libmpich-dev), or BNGEN_MPI_LIBRARY set to an MPI library with MPICH's ABI.");
    }

    [DllImport(Library)] public static extern int MPI_Finalized(out int flag);
    [DllImport(Library)] public static extern int MPI_Init_thread(IntPtr argc, IntPtr argv, int required, out int provided);
    [DllImport(Library)] public static extern int MPI_Finalize();
    [DllImport(Library)] public static extern int MPI_Abort(int comm, int errorCode);
    [DllImport(Library)] public static extern int MPI_Comm_rank(int comm, out int rank);
    [DllImport(Library)] public static extern int MPI_Comm_size(int comm, out int size);
    [DllImport(Library)] public static extern int MPI_Comm_set_errhandler(int comm, int errhandler);
    [DllImport(Library)] public static extern int MPI_Iallgather(IntPtr sendBuffer, int sendCount, int sendType, IntPtr receiveBuffer, int receiveCount, int receiveType, int comm, out int request);
    [DllImport(Library)] public static extern int MPI_Iallreduce(IntPtr sendBuffer, IntPtr receiveBuffer, int count, int dataType, int op, int comm, out int request);
    [DllImport(Library)] public static extern int MPI_Ibcast(IntPtr buffer, int count, int dataType, int root, int comm, out int request);
    [DllImport(Library)] public static extern int MPI_Isend(IntPtr buffer, int count, int dataType, int destination, int tag, int comm, out int request);
    [DllImport(Library)] public static extern int MPI_Irecv(IntPtr buffer, int count, int dataType, int source, int tag, int comm, out int request);
    [DllImport(Library)] public static extern int MPI_Test(ref int request, out int flag, IntPtr status);
    [DllImport(Library)] public static extern unsafe int MPI_Error_string(int errorCode, byte* text, out int length);
    [DllImport(Library)] public static extern unsafe int MPI_Get_processor_name(byte* name, out int length);
}
