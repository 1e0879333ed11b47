using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace BnGen.PyTorch.Tests.Untrusted;

/// <summary>Builds checkpoint files byte by byte: PyTorch's zip archive and TorchSharp's .dat format.</summary>
internal static class Checkpoints
{
    /// <summary>A zip archive as torch.save lays it out: archive/data.pkl, archive/data/&lt;key&gt;, archive/version.</summary>
    public static byte[] Zip(byte[] pickle, IEnumerable<(string Key, byte[] Bytes)> storages, bool deflate = false, int extraEntries = 0)
    {
        var level = deflate ? CompressionLevel.Optimal : CompressionLevel.NoCompression;
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, "archive/data.pkl", pickle, level);
            foreach (var (key, bytes) in storages)
                Add(zip, "archive/data/" + key, bytes, level);
            for (int i = 0; i < extraEntries; i++)
                Add(zip, $"archive/extra/{i}", Array.Empty<byte>(), CompressionLevel.NoCompression);
            Add(zip, "archive/version", Encoding.ASCII.GetBytes("3\n"), CompressionLevel.NoCompression);
        }

        return buffer.ToArray();
    }

    /// <summary>Rewrites the uncompressed size an entry declares, in its local header and in the central directory.</summary>
    public static byte[] DeclareSize(byte[] zip, string name, uint size)
    {
        var bytes = (byte[])zip.Clone();
        var nameBytes = Encoding.ASCII.GetBytes(name);
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            uint signature = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            if (signature == 0x04034b50 && bytes.AsSpan(i + 30, nameBytes.Length).SequenceEqual(nameBytes))
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 22), size);
            else if (signature == 0x02014b50 && bytes.AsSpan(i + 46, Math.Min(nameBytes.Length, bytes.Length - i - 46)).SequenceEqual(nameBytes))
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 24), size);
        }

        return bytes;
    }

    /// <summary>A TorchSharp .dat checkpoint: the entry count, then per entry key, dtype, rank, dimensions and raw bytes.</summary>
    public static byte[] Dat(IEnumerable<(string Key, int DType, long[] Shape, byte[] Data)> entries)
    {
        var list = entries.ToList();
        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer);
        writer.Write7BitEncodedInt64(list.Count);
        foreach (var (key, dtype, shape, data) in list)
        {
            writer.Write(key);
            writer.Write7BitEncodedInt64(dtype);
            writer.Write7BitEncodedInt64(shape.Length);
            foreach (var d in shape)
                writer.Write7BitEncodedInt64(d);
            writer.Write(data);
        }

        writer.Flush();
        return buffer.ToArray();
    }

    private static void Add(ZipArchive zip, string name, byte[] bytes, CompressionLevel level)
    {
        using var stream = zip.CreateEntry(name, level).Open();
        stream.Write(bytes);
    }
}
