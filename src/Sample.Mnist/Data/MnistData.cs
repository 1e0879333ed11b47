using System;

namespace BnGen.Sample.Mnist.Data;

/// <summary>Both splits of a data set, loaded, with where they came from.</summary>
public sealed class MnistData : IDisposable
{
    public MnistData(MnistSplit train, MnistSplit test, string source)
    {
        Train = train;
        Test = test;
        Source = source;
    }

    public MnistSplit Train { get; }

    public MnistSplit Test { get; }

    public string Source { get; }

    /// <summary>
    /// Reads the four files, each checked against <paramref name="checksums"/> first; every inconsistency is an
    /// <see cref="IdxFormatException"/> naming the file, and no file is changed.
    /// </summary>
    public static MnistData Load(IdxFileSet files, string source, DataChecksums checksums)
    {
        var train = MnistSplit.FromBytes("train", IdxFile.ReadImages(files.TrainImages, checksums.Of(files.TrainImages)), IdxFile.ReadLabels(files.TrainLabels, checksums.Of(files.TrainLabels)), files.TrainImages, files.TrainLabels);
        try
        {
            var test = MnistSplit.FromBytes("test", IdxFile.ReadImages(files.TestImages, checksums.Of(files.TestImages)), IdxFile.ReadLabels(files.TestLabels, checksums.Of(files.TestLabels)), files.TestImages, files.TestLabels);
            return new MnistData(train, test, source);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
