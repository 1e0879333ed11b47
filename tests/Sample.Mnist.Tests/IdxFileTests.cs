using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using BnGen.Sample.Mnist.Data;

namespace BnGen.Sample.Mnist.Tests;

/// <summary>The IDX reader on files this test writes: round trips, gzip, and every kind of damage.</summary>
public sealed class IdxFileTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string WriteImages(int count = 3)
    {
        string path = _folder.File("images");
        var (pixels, _) = SyntheticMnist.Make(count, 5);
        IdxFile.WriteImages(path, pixels, count, 28, 28);
        return path;
    }

    [Fact]
    public void Images_and_labels_round_trip_raw_and_gzipped()
    {
        var (pixels, labels) = SyntheticMnist.Make(7, 3);
        string images = _folder.File("i");
        string labelFile = _folder.File("l");
        IdxFile.WriteImages(images, pixels, 7, 28, 28);
        IdxFile.WriteLabels(labelFile, labels);
        string gz = _folder.File("i.gz");
        using (var output = new GZipStream(File.Create(gz), CompressionLevel.Fastest))
            output.Write(File.ReadAllBytes(images));

        var read = IdxFile.ReadImages(images);
        Assert.Equal(pixels, read.Pixels);
        Assert.Equal((7, 28, 28), (read.Count, read.Rows, read.Columns));
        Assert.Equal(pixels, IdxFile.ReadImages(gz).Pixels);
        Assert.Equal(labels, IdxFile.ReadLabels(labelFile));
        Assert.False(File.Exists(images + ".partial"));
    }

    [Fact]
    public void A_wrong_magic_number_names_the_file_and_both_numbers()
    {
        string path = WriteImages();

        var error = Assert.Throws<IdxFormatException>(() => IdxFile.ReadLabels(path));

        Assert.StartsWith(path + ":", error.Message);
        Assert.Contains("0x00000803", error.Message);
        Assert.Contains("0x00000801", error.Message);
    }

    [Fact]
    public void A_truncated_image_file_says_so()
    {
        string path = WriteImages();
        File.WriteAllBytes(path, File.ReadAllBytes(path).AsSpan(0, 16 + 784 * 2 + 10).ToArray());

        var error = Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path));

        Assert.Contains("announces 3 images", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void A_file_shorter_than_its_header_says_so()
    {
        string path = _folder.File("short");
        File.WriteAllBytes(path, new byte[] { 0, 0, 8, 3, 0 });

        Assert.Contains("fewer than the 16-byte image header", Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path)).Message);
    }

    [Fact]
    public void A_label_count_that_disagrees_with_the_header_says_so()
    {
        string path = _folder.File("labels");
        IdxFile.WriteLabels(path, new byte[] { 1, 2, 3 });
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 5);
        File.WriteAllBytes(path, bytes);

        Assert.Contains("announces 5 labels (13 bytes in all) but the file has 11 bytes (truncated?)", Assert.Throws<IdxFormatException>(() => IdxFile.ReadLabels(path)).Message);
    }

    [Fact]
    public void A_corrupt_gzip_file_says_so()
    {
        string path = _folder.File("bad.gz");
        File.WriteAllBytes(path, new byte[] { 0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 });

        Assert.Contains("not a valid gzip file", Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path)).Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        string path = _folder.File("absent");
        Assert.Equal(path + ": file not found", Assert.Throws<IdxFormatException>(() => IdxFile.ReadImages(path)).Message);
    }

    /// <summary>Loads the set with checksums of the files as they are now: these tests are about what the checksums cannot see.</summary>
    private MnistData LoadWithFreshChecksums(IdxFileSet files) =>
        MnistData.Load(files, "test", DataChecksums.Load(SyntheticMnist.WriteChecksums(_folder.Path)));

    [Fact]
    public void Image_and_label_counts_that_differ_name_both_files()
    {
        SyntheticMnist.WriteFolder(_folder.Path, train: 20, test: 10);
        var files = IdxFileSet.Find(_folder.Path, DatasetKind.Mnist)!;
        IdxFile.WriteLabels(files.TestLabels, new byte[9]);

        var error = Assert.Throws<IdxFormatException>(() => LoadWithFreshChecksums(files));

        Assert.Contains(files.TestLabels, error.Message);
        Assert.Contains(files.TestImages, error.Message);
        Assert.Contains("holds 9 labels", error.Message);
    }

    [Fact]
    public void A_label_outside_0_to_9_is_refused()
    {
        SyntheticMnist.WriteFolder(_folder.Path, train: 20, test: 10);
        var files = IdxFileSet.Find(_folder.Path, DatasetKind.Mnist)!;
        var labels = new byte[20];
        labels[4] = 12;
        IdxFile.WriteLabels(files.TrainLabels, labels);

        Assert.Contains("label 12", Assert.Throws<IdxFormatException>(() => LoadWithFreshChecksums(files)).Message);
    }

    [Fact]
    public void Loading_makes_one_tensor_per_split_scaled_to_0_1()
    {
        SyntheticMnist.WriteFolder(_folder.Path, train: 30, test: 10);
        using var data = LoadWithFreshChecksums(IdxFileSet.Find(_folder.Path, DatasetKind.Mnist)!);

        Assert.Equal(new long[] { 30, 1, 28, 28 }, data.Train.Images.shape);
        Assert.Equal(new long[] { 10 }, data.Test.Labels.shape);
        Assert.True(data.Train.Images.max().item<float>() <= 1f);
        Assert.Equal(TorchSharp.torch.ScalarType.Int64, data.Train.Labels.dtype);
    }

    [Fact]
    public void The_torchvision_layout_is_found_too()
    {
        SyntheticMnist.WriteFolder(Path.Combine(_folder.Path, "mnist", "test_data"), train: 20, test: 10);

        var files = IdxFileSet.Find(_folder.Path, DatasetKind.Mnist);

        Assert.NotNull(files);
        Assert.EndsWith(Path.Combine("mnist", "test_data"), files!.Folder);
    }
}
