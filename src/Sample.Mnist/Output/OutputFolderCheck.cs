using System;
using System.IO;

namespace BnGen.Sample.Mnist.Output;

/// <summary>
/// Checks before training that the output folder can be written, without creating it: a run that fails later on
/// bad data must leave no folder behind, and one that fails on --out must fail in a second, not after training.
/// </summary>
internal static class OutputFolderCheck
{
    /// <exception cref="IOException">The path is empty, names a file, or its folder (or nearest existing parent) cannot be written.</exception>
    public static void ThrowIfUnwritable(string folder)
    {
        if (string.IsNullOrWhiteSpace(folder))
            throw new IOException("--out is empty; give a folder for the plots, metrics.csv and summary.json.");

        string full = Path.GetFullPath(folder);
        if (File.Exists(full))
            throw new IOException($"--out '{full}' is a file, not a folder; choose a folder for the plots, metrics.csv and summary.json.");

        // The folder itself if it exists, else the nearest parent that does: that is where the run will write.
        string? existing = full;
        while (existing is not null && !Directory.Exists(existing))
        {
            if (File.Exists(existing))
                throw new IOException($"--out '{full}' cannot be created: '{existing}' is a file.");
            existing = Path.GetDirectoryName(existing);
        }

        if (existing is null)
            throw new IOException($"--out '{full}' cannot be created: none of its parent folders exists.");

        string probe = Path.Combine(existing, ".bngen-write-check-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"--out '{full}' cannot be written: '{existing}' refused a new file ({e.Message}).", e);
        }
    }
}
