using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;

namespace BnGen.Sample.Mnist.Data;

/// <summary>
/// Reads and writes the IDX format of the MNIST files: a big-endian magic number (0x00000803 for images,
/// 0x00000801 for labels), the dimension sizes as big-endian int32, then one unsigned byte per value.
/// Files may be gzip-compressed (.gz).
/// </summary>
public static class IdxFile
{
    public const int ImageMagic = 0x00000803;
    public const int LabelMagic = 0x00000801;

    /// <summary>Images as [count, rows, columns] bytes.</summary>
    public sealed record Images(byte[] Pixels, int Count, int Rows, int Columns);

    public static Images ReadImages(string path)
    {
        byte[] bytes = ReadAll(path);
        RequireLength(path, bytes, 16, "the 16-byte image header");
        RequireMagic(path, bytes, ImageMagic, "an image file");
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(8));
        int columns = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(12));
        if (count < 0 || rows <= 0 || columns <= 0)
            throw new IdxFormatException(path, $"the header gives {count} images of {rows}x{columns} pixels, which is not a valid size");
        long expected = 16 + (long)count * rows * columns;
        if (bytes.Length != expected)
            throw new IdxFormatException(path, $"the header announces {count} images of {rows}x{columns} pixels ({expected} bytes in all) but the file has {bytes.Length} bytes{(bytes.Length < expected ? " (truncated?)" : "")}");
        return new Images(bytes.AsSpan(16).ToArray(), count, rows, columns);
    }

    public static byte[] ReadLabels(string path)
    {
        byte[] bytes = ReadAll(path);
        RequireLength(path, bytes, 8, "the 8-byte label header");
        RequireMagic(path, bytes, LabelMagic, "a label file");
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        if (count < 0 || bytes.Length != 8L + count)
            throw new IdxFormatException(path, $"the header announces {count} labels but the file holds {bytes.Length - 8}{(bytes.Length - 8 < count ? " (truncated?)" : "")}");
        return bytes.AsSpan(8).ToArray();
    }

    /// <summary>Writes through a temporary file and a rename, so a failed write leaves no partial file behind.</summary>
    public static void WriteImages(string path, ReadOnlySpan<byte> pixels, int count, int rows, int columns)
    {
        if (pixels.Length != (long)count * rows * columns)
            throw new ArgumentException($"{path}: {pixels.Length} pixel bytes do not make {count} images of {rows}x{columns}", nameof(pixels));
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), ImageMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), columns);
        WriteAtomically(path, header, pixels);
    }

    /// <inheritdoc cref="WriteImages"/>
    public static void WriteLabels(string path, ReadOnlySpan<byte> labels)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(0), LabelMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), labels.Length);
        WriteAtomically(path, header, labels);
    }

    private static void WriteAtomically(string path, byte[] header, ReadOnlySpan<byte> body)
    {
        string temporary = path + ".partial";
        try
        {
            using (var stream = File.Create(temporary))
            {
                stream.Write(header);
                stream.Write(body);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    private static byte[] ReadAll(string path)
    {
        if (!File.Exists(path))
            throw new IdxFormatException(path, "file not found");
        try
        {
            if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
                return File.ReadAllBytes(path);
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var memory = new MemoryStream();
            gzip.CopyTo(memory);
            return memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(path, "not a valid gzip file (" + e.Message + ")");
        }
    }

    private static void RequireLength(string path, byte[] bytes, int length, string what)
    {
        if (bytes.Length < length)
            throw new IdxFormatException(path, $"the file has {bytes.Length} bytes, fewer than {what} (truncated?)");
    }

    private static void RequireMagic(string path, byte[] bytes, int magic, string what)
    {
        int actual = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (actual != magic)
            throw new IdxFormatException(path, $"magic number 0x{actual:X8} is not that of {what} (0x{magic:X8})");
    }
}
