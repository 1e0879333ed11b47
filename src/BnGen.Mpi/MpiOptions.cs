using System;

namespace BnGen.Mpi;

/// <summary>Options for <see cref="MpiWorld.Initialize"/>.</summary>
public sealed record MpiOptions
{
    /// <summary>
    /// How long a rank waits for the others in any one collective operation before it throws
    /// <see cref="MpiTimeoutException"/>. A rank that crashes is normally reported sooner by the launcher
    /// (mpirun ends the job); this bounds the wait when a rank is alive but stuck or on another path.
    /// Default: two minutes; BNGEN_MPI_TIMEOUT_SECONDS overrides the default.
    /// </summary>
    public TimeSpan Timeout { get; init; } = DefaultTimeout();

    private static TimeSpan DefaultTimeout()
    {
        string? seconds = Environment.GetEnvironmentVariable("BNGEN_MPI_TIMEOUT_SECONDS");
        return double.TryParse(seconds, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value) && value > 0
            ? TimeSpan.FromSeconds(value)
            : TimeSpan.FromMinutes(2);
    }
}
