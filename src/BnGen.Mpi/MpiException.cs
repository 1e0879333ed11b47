using System;

namespace BnGen.Mpi;

/// <summary>An MPI operation failed, the ranks disagreed on which operation to run, or a rank did not arrive in time.</summary>
public class MpiException : Exception
{
    /// <summary>Creates the exception with a message that names the operation and the ranks involved.</summary>
    public MpiException(string message) : base(message) { }

    /// <summary>Creates the exception with the failure that caused it.</summary>
    public MpiException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// The ranks called different collective operations at the same point (a network converted on some ranks only,
/// sites of different widths, ranks on different steps). Every rank sees the same table and throws this.
/// </summary>
public sealed class MpiMismatchException(string message) : MpiException(message);

/// <summary>Not every rank joined a collective operation within <see cref="MpiOptions.Timeout"/>.</summary>
public sealed class MpiTimeoutException(string message) : MpiException(message);
