using System;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using BnGen.Sample.Mnist.Data;

namespace BnGen.Sample.Mnist.Tests;

/// <summary>Small IDX data sets whose classes are learnable: class k lights up row band k.</summary>
internal static class SyntheticMnist
{
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
        IdxFile.WriteImages(Path.Combine(folder, IdxFileSet.TrainImagesName), trainPixels, train, 28, 28);
        IdxFile.WriteLabels(Path.Combine(folder, IdxFileSet.TrainLabelsName), trainLabels);
        IdxFile.WriteImages(Path.Combine(folder, IdxFileSet.TestImagesName), testPixels, test, 28, 28);
        IdxFile.WriteLabels(Path.Combine(folder, IdxFileSet.TestLabelsName), testLabels);
        return WriteChecksums(folder);
    }

    /// <summary>checksums.md5 for the four IDX files in <paramref name="folder"/>, as md5sum writes it.</summary>
    public static string WriteChecksums(string folder)
    {
        string path = Path.Combine(folder, "checksums.md5");
        var names = new[] { IdxFileSet.TrainImagesName, IdxFileSet.TrainLabelsName, IdxFileSet.TestImagesName, IdxFileSet.TestLabelsName };
        File.WriteAllLines(path, names.Select(n => $"{Convert.ToHexStringLower(MD5.HashData(File.ReadAllBytes(Path.Combine(folder, n))))}  {n}"));
        return path;
    }
}
