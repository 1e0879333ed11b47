using System;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Sample.Mnist.Data;

/// <summary>One split held as two tensors: images [N, 1, 28, 28] float32 scaled to [0, 1], labels [N] int64.</summary>
public sealed class MnistSplit : IDisposable
{
    public MnistSplit(string name, Tensor images, Tensor labels)
    {
        if (images.shape[0] != labels.shape[0])
            throw new ArgumentException($"{name}: {images.shape[0]} images but {labels.shape[0]} labels");
        Name = name;
        Images = images;
        Labels = labels;
    }

    public string Name { get; }

    public Tensor Images { get; }

    public Tensor Labels { get; }

    public long Count => Labels.shape[0];

    /// <summary>Builds the tensors from IDX bytes in one copy each, not one tensor per image.</summary>
    public static MnistSplit FromBytes(string name, IdxFile.Images images, byte[] labels, string imagePath, string labelPath)
    {
        if (images.Rows != 28 || images.Columns != 28)
            throw new IdxFormatException(imagePath, $"images are {images.Rows}x{images.Columns} pixels; the models expect 28x28");
        if (images.Count != labels.Length)
            throw new IdxFormatException(labelPath, $"holds {labels.Length} labels but {imagePath} holds {images.Count} images");
        foreach (byte label in labels)
        {
            if (label > 9)
                throw new IdxFormatException(labelPath, $"label {label} is not a digit class 0-9");
        }

        using var scope = NewDisposeScope();
        var pixels = torch.tensor(images.Pixels, new long[] { images.Count, 1, images.Rows, images.Columns }, ScalarType.Byte);
        var imageTensor = pixels.to(ScalarType.Float32).div_(255.0f);
        var labelTensor = torch.tensor(labels, ScalarType.Byte).to(ScalarType.Int64);
        return new MnistSplit(name, imageTensor.MoveToOuterDisposeScope(), labelTensor.MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
