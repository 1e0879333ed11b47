using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using static TorchSharp.torch;

namespace BnGen.PyTorch.Reading;

/// <summary>
/// The zip archive <c>torch.save</c> writes (PyTorch 1.6 and later): <c>&lt;name&gt;/data.pkl</c>, the pickled
/// state_dict, and <c>&lt;name&gt;/data/&lt;key&gt;</c>, one raw little-endian storage per key. Every entry is read
/// with its size checked first, declared and actual, so a compressed entry cannot inflate past what was asked for.
/// </summary>
internal sealed class StateDictArchive : IDisposable
{
    private readonly ZipArchive _zip;
    private readonly string _prefix;

    private StateDictArchive(ZipArchive zip, string prefix)
    {
        _zip = zip;
        _prefix = prefix;
    }

    /// <exception cref="InvalidDataException">Not a zip archive with one data.pkl, or big-endian storages.</exception>
    public static StateDictArchive Open(Stream stream)
    {
        if (LooksLikeLegacyPickle(stream))
            throw new InvalidDataException("it is in the format torch.save wrote before PyTorch 1.6 (or with _use_new_zipfile_serialization=False); load it in PyTorch and save it again with torch.save");
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"it is not the zip archive torch.save writes ({e.Message})", e);
        }

        try
        {
            var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) && e.FullName.IndexOf('/') == e.FullName.Length - "/data.pkl".Length).ToList();
            if (pickles.Count != 1)
                throw new InvalidDataException($"it has {pickles.Count} '<name>/data.pkl' entries where torch.save writes one");
            var archive = new StateDictArchive(zip, pickles[0].FullName[..^"data.pkl".Length]);
            archive.CheckByteOrder();
            return archive;
        }
        catch
        {
            zip.Dispose();
            throw;
        }
    }

    /// <summary>The pickled state_dict's entries; refused when its pickle is longer than <paramref name="maxBytes"/>.</summary>
    public IReadOnlyList<(string Key, TensorRef Tensor)> ReadEntries(int maxBytes)
    {
        var entry = _zip.GetEntry(_prefix + "data.pkl")!;
        if (entry.Length > maxBytes)
            throw new InvalidDataException($"its data.pkl is {entry.Length} bytes, more than the {maxBytes} a state_dict of this network can need");
        return StateDictPickle.Read(ReadExactly(entry, (int)entry.Length));
    }

    /// <summary>The storage's elements as a one-dimensional tensor of its dtype.</summary>
    public Tensor ReadStorage(StorageRef storage)
    {
        string name = _prefix + "data/" + storage.Key;
        var entry = _zip.GetEntry(name) ?? throw new InvalidDataException($"storage '{storage.Key}' has no entry '{name}'");
        // Bool storages are read as bytes and compared with zero: a byte other than 0 or 1 in a bool tensor is undefined in C++.
        var dtype = storage.DType == ScalarType.Bool ? ScalarType.Byte : storage.DType;
        long expected = storage.Numel * ElementSize(dtype);
        if (entry.Length != expected)
            throw new InvalidDataException($"storage '{storage.Key}' declares {storage.Numel} elements of {storage.DType} ({expected} bytes) but its entry holds {entry.Length} bytes");
        var tensor = empty(storage.Numel, dtype);
        using (var data = entry.Open())
        {
            try
            {
                tensor.ReadBytesFromStream(data, 1 << 16);
            }
            catch (EndOfStreamException)
            {
                throw new InvalidDataException($"storage '{storage.Key}' ends before its {expected} bytes");
            }

            if (data.ReadByte() >= 0)
                throw new InvalidDataException($"storage '{storage.Key}' holds more than its {expected} bytes");
        }

        return storage.DType == ScalarType.Bool ? tensor.ne(0) : tensor;
    }

    public void Dispose() => _zip.Dispose();

    /// <summary>Bytes per element of the dtypes a storage can hold (see <see cref="StateDictPickle"/>).</summary>
    internal static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 or ScalarType.ComplexFloat32 => 8,
        ScalarType.ComplexFloat64 => 16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a storage dtype"),
    };

    private void CheckByteOrder()
    {
        if (_zip.GetEntry(_prefix + "byteorder") is not { } entry)
            return;
        if (entry.Length > 16)
            throw new InvalidDataException($"its byteorder entry is {entry.Length} bytes");
        string order = Encoding.ASCII.GetString(ReadExactly(entry, (int)entry.Length)).Trim();
        if (order != "little")
            throw new InvalidDataException($"its storages are '{order}'-endian; BnGen reads the little-endian ones every common machine writes");
    }

    private static byte[] ReadExactly(ZipArchiveEntry entry, int length)
    {
        var bytes = new byte[length];
        using var stream = entry.Open();
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"its entry '{entry.FullName}' ends before the {length} bytes it declares");
        }

        if (stream.ReadByte() >= 0)
            throw new InvalidDataException($"its entry '{entry.FullName}' holds more than the {length} bytes it declares");
        return bytes;
    }

    /// <summary>A legacy checkpoint is a bare pickle: it starts with the PROTO opcode; a zip starts with "PK".</summary>
    private static bool LooksLikeLegacyPickle(Stream stream)
    {
        long start = stream.Position;
        int first = stream.ReadByte();
        stream.Position = start;
        return first == 0x80;
    }
}
