using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace BnGen.Sample.Mnist.Data;

/// <summary>The four IDX files of a data set, found in one of the folder layouts people already have.</summary>
public sealed record IdxFileSet(string TrainImages, string TrainLabels, string TestImages, string TestLabels, string Folder)
{
    public const string TrainImagesName = "train-images-idx3-ubyte";
    public const string TrainLabelsName = "train-labels-idx1-ubyte";
    public const string TestImagesName = "t10k-images-idx3-ubyte";
    public const string TestLabelsName = "t10k-labels-idx1-ubyte";

    /// <summary>The folders searched under <paramref name="root"/>, in order.</summary>
    public static IEnumerable<string> CandidateFolders(string root, DatasetKind kind)
    {
        if (kind == DatasetKind.Mnist)
        {
            yield return root;                                         // plain: DIR/train-images-idx3-ubyte
            yield return Path.Combine(root, "mnist");
            yield return Path.Combine(root, "mnist", "test_data");     // TorchSharp's TorchVision datasets.MNIST
            yield return Path.Combine(root, "MNIST", "raw");           // PyTorch's torchvision
        }
        else
        {
            yield return Path.Combine(root, "fashion-mnist");
            yield return Path.Combine(root, "fashion-mnist", "test_data");
            yield return Path.Combine(root, "FashionMNIST", "raw");
            yield return "/usr/share/datasets/fashion-mnist";           // Debian's dataset-fashion-mnist
        }
    }

    /// <summary>The first folder that holds all four files (raw or .gz), or null.</summary>
    public static IdxFileSet? Find(string root, DatasetKind kind)
    {
        foreach (string folder in CandidateFolders(root, kind))
        {
            var files = new[] { TrainImagesName, TrainLabelsName, TestImagesName, TestLabelsName }.Select(name => Resolve(folder, name)).ToArray();
            if (files.All(f => f is not null))
                return new IdxFileSet(files[0]!, files[1]!, files[2]!, files[3]!, folder);
        }

        return null;
    }

    /// <summary>
    /// The IDX files already in <paramref name="folder"/> when it holds some of the four but not all: the user's own
    /// incomplete set, which fetching must not overwrite.
    /// </summary>
    public static IReadOnlyList<string> PartialSet(string folder)
    {
        var present = new[] { TrainImagesName, TrainLabelsName, TestImagesName, TestLabelsName }
            .Select(name => Resolve(folder, name)).Where(f => f is not null).Select(f => f!).ToList();
        return present.Count is > 0 and < 4 ? present : System.Array.Empty<string>();
    }

    private static string? Resolve(string folder, string name)
    {
        string raw = Path.Combine(folder, name);
        if (File.Exists(raw))
            return raw;
        string gz = raw + ".gz";
        return File.Exists(gz) ? gz : null;
    }
}
