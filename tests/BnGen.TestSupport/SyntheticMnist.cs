using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;

namespace BnGen.TestSupport;

/// <summary>Small IDX data sets whose classes are learnable: class k lights up row band k.</summary>
public static class SyntheticMnist
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>An IDX image file: magic 0x00000803, count, 28, 28 (big-endian), then the pixels.</summary>
    public static void WriteImages(string path, byte[] pixels, int count) =>
        File.WriteAllBytes(path, [.. Header(0x00000803, count, 28, 28), .. pixels]);

    /// <summary>An IDX label file: magic 0x00000801, count (big-endian), then the labels.</summary>
    public static void WriteLabels(string path, byte[] labels) =>
        File.WriteAllBytes(path, [.. Header(0x00000801, labels.Length), .. labels]);

    private static byte[] Header(params int[] fields)
    {
        var header = new byte[fields.Length * 4];
        for (int i = 0; i < fields.Length; i++)
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(i * 4), fields[i]);
        return header;
    }

    public static (byte[] Pixels, byte[] Labels) Make(int count, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[count * 784];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            byte label = (byte)(i % 10);
            labels[i] = label;
            for (int p = 0; p < 784; p++)
            {
                int row = p / 28;
                bool band = row >= label * 2 + 4 && row < label * 2 + 6;
                pixels[i * 784 + p] = (byte)(band ? 200 + random.Next(56) : random.Next(40));
            }
        }

        return (pixels, labels);
    }

    /// <summary>
    /// Writes the four standard files into <paramref name="folder"/>, and their MD5s as <c>checksums.md5</c> (what
    /// <c>--checksums</c> takes: they are not MNIST's files, so MNIST's known checksums would refuse them).
    /// </summary>
    /// <returns>The path of checksums.md5.</returns>
    public static string WriteFolder(string folder, int train = 400, int test = 100)
    {
        Directory.CreateDirectory(folder);
        var (trainPixels, trainLabels) = Make(train, 1);
        var (testPixels, testLabels) = Make(test, 2);
        WriteImages(Path.Combine(folder, TrainImages), trainPixels, train);
        WriteLabels(Path.Combine(folder, TrainLabels), trainLabels);
        WriteImages(Path.Combine(folder, TestImages), testPixels, test);
        WriteLabels(Path.Combine(folder, TestLabels), testLabels);
        return WriteChecksums(folder);
    }

    /// <summary>checksums.md5 for the four IDX files in <paramref name="folder"/>, as md5sum writes it.</summary>
    public static string WriteChecksums(string folder)
    {
        string path = Path.Combine(folder, "checksums.md5");
        var names = new[] { TrainImages, TrainLabels, TestImages, TestLabels };
        File.WriteAllLines(path, names.Select(n => $"{Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(Path.Combine(folder, n))))}  {n}"));
        return path;
    }
}
