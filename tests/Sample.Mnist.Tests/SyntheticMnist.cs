using System;
using System.IO;
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

    /// <summary>Writes the four standard files into <paramref name="folder"/>.</summary>
    public static void WriteFolder(string folder, int train = 400, int test = 100)
    {
        Directory.CreateDirectory(folder);
        var (trainPixels, trainLabels) = Make(train, 1);
        var (testPixels, testLabels) = Make(test, 2);
        IdxFile.WriteImages(Path.Combine(folder, IdxFileSet.TrainImagesName), trainPixels, train, 28, 28);
        IdxFile.WriteLabels(Path.Combine(folder, IdxFileSet.TrainLabelsName), trainLabels);
        IdxFile.WriteImages(Path.Combine(folder, IdxFileSet.TestImagesName), testPixels, test, 28, 28);
        IdxFile.WriteLabels(Path.Combine(folder, IdxFileSet.TestLabelsName), testLabels);
    }
}
