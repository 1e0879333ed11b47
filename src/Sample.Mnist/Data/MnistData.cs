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

    /// <summary>Reads the four files; every inconsistency is an <see cref="IdxFormatException"/> naming the file.</summary>
    public static MnistData Load(IdxFileSet files, string source)
    {
        var train = MnistSplit.FromBytes("train", IdxFile.ReadImages(files.TrainImages), IdxFile.ReadLabels(files.TrainLabels), files.TrainImages, files.TrainLabels);
        try
        {
            var test = MnistSplit.FromBytes("test", IdxFile.ReadImages(files.TestImages), IdxFile.ReadLabels(files.TestLabels), files.TestImages, files.TestLabels);
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
