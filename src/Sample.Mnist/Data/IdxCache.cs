using System;
using System.IO;

namespace BnGen.Sample.Mnist.Data;

/// <summary>Writes a converted data set as the four standard IDX files, all or nothing.</summary>
public static class IdxCache
{
    public static void WriteSet(string folder, NpmMnistPackage.Digits train, NpmMnistPackage.Digits test)
    {
        Directory.CreateDirectory(folder);
        var written = new[]
        {
            Path.Combine(folder, IdxFileSet.TrainImagesName),
            Path.Combine(folder, IdxFileSet.TrainLabelsName),
            Path.Combine(folder, IdxFileSet.TestImagesName),
            Path.Combine(folder, IdxFileSet.TestLabelsName),
        };
        try
        {
            IdxFile.WriteImages(written[0], train.Pixels, train.Count, 28, 28);
            IdxFile.WriteLabels(written[1], train.Labels);
            IdxFile.WriteImages(written[2], test.Pixels, test.Count, 28, 28);
            IdxFile.WriteLabels(written[3], test.Labels);
        }
        catch
        {
            // A set with some files missing would be found as incomplete next time; one with a stale file would not.
            foreach (string path in written)
            {
                if (File.Exists(path))
                    File.Delete(path);
            }

            throw;
        }
    }
}
