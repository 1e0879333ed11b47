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

    /// <summary>More images than any MNIST-family set holds (EMNIST's largest split is 814,255).</summary>
    public const int MaxCount = 1_000_000;

    /// <summary>Larger than any image such a set uses.</summary>
    public const int MaxSide = 256;

    /// <summary>A million 28x28 images and then some: what one byte array can hold comfortably.</summary>
    public const long MaxPixelBytes = 1L << 30;

    /// <summary>
    /// Reads an image file: the header is read and checked first (magic, sizes within <see cref="MaxCount"/> and
    /// <see cref="MaxSide"/>, and for a plain file its length), then exactly the bytes it announces, and then the
    /// end of the file, so neither a lying header nor a compression bomb makes it read or allocate more.
    /// </summary>
    /// <exception cref="IdxFormatException">The file is missing, not a regular file, or not the IDX file its header says; the message names it.</exception>
    /// <param name="path">The file, plain or .gz.</param>
    /// <param name="known">When given, the file's decompressed size and MD5 must be these.</param>
    public static Images ReadImages(string path, KnownFile? known = null)
    {
        using var stream = DataFileStream.Open(path);
        var header = ReadHeader(path, stream, 16, "the 16-byte image header");
        RequireMagic(path, header, ImageMagic, "an image file");
        int count = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        int rows = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(8));
        int columns = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(12));
        if (count < 0 || count > MaxCount || rows <= 0 || rows > MaxSide || columns <= 0 || columns > MaxSide || (long)count * rows * columns > MaxPixelBytes)
            throw new IdxFormatException(path, $"the header gives {count} images of {rows}x{columns} pixels, which is not a valid size (at most {MaxCount} images, {MaxSide} pixels a side, {MaxPixelBytes} bytes in all)");
        long expected = (long)count * rows * columns;
        RequireKnownSize(path, known, 16 + expected);
        byte[] pixels = ReadBody(path, stream, 16, expected, $"{count} images of {rows}x{columns} pixels");
        RequireKnownChecksum(path, known, header, pixels);
        return new Images(pixels, count, rows, columns);
    }

    /// <summary>Reads a label file, checked as <see cref="ReadImages"/> checks an image file.</summary>
    /// <exception cref="IdxFormatException">The file is missing, not a regular file, or not the IDX file its header says; the message names it.</exception>
    /// <inheritdoc cref="ReadImages" path="/param"/>
    public static byte[] ReadLabels(string path, KnownFile? known = null)
    {
        using var stream = DataFileStream.Open(path);
        var header = ReadHeader(path, stream, 8, "the 8-byte label header");
        RequireMagic(path, header, LabelMagic, "a label file");
        int count = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4));
        if (count < 0 || count > MaxCount)
            throw new IdxFormatException(path, $"the header announces {count} labels, which is not a valid count (at most {MaxCount})");
        RequireKnownSize(path, known, 8L + count);
        var labels = ReadBody(path, stream, 8, count, $"{count} labels");
        RequireKnownChecksum(path, known, header, labels);
        return labels;
    }

    /// <summary>A header that announces another size than the known file's is refused before the data is read.</summary>
    private static void RequireKnownSize(string path, KnownFile? known, long total)
    {
        if (known?.Size is { } size && size != total)
            throw new IdxFormatException(path, $"its header announces {total} bytes in all, but {known.Authority} {known.Name} has {size}: the file is truncated, damaged or of another data set. It was left as it is.");
    }

    private static void RequireKnownChecksum(string path, KnownFile? known, byte[] header, byte[] body)
    {
        if (known is null)
            return;
        using var md5 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.MD5);
        md5.AppendData(header);
        md5.AppendData(body);
        string actual = Convert.ToHexStringLower(md5.GetHashAndReset());
        if (actual != known.Md5)
            throw new IdxFormatException(path, $"its contents have MD5 {actual}, not {known.Md5} as {known.Authority} {known.Name}: the file is damaged or of another data set. It was left as it is.");
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

    private static byte[] ReadHeader(string path, Stream stream, int length, string what)
    {
        var header = new byte[length];
        int read = Fill(path, stream, header);
        if (read < length)
            throw new IdxFormatException(path, $"the file has {read} bytes{(stream is GZipStream ? " once decompressed" : "")}, fewer than {what} (truncated?)");
        return header;
    }

    /// <summary>Exactly <paramref name="length"/> bytes after the header, and then nothing.</summary>
    private static byte[] ReadBody(string path, Stream stream, int headerLength, long length, string what)
    {
        long total = headerLength + length;
        // A plain file's length is known before reading: a mismatch is reported without reading the data.
        if (stream is FileStream file && file.Length != total)
            throw new IdxFormatException(path, $"the header announces {what} ({total} bytes in all) but the file has {file.Length} bytes{(file.Length < total ? " (truncated?)" : "")}");
        // A compressed file is read in chunks: memory follows what it really inflates to, up to what was announced.
        byte[] body = stream is FileStream ? new byte[length] : ReadChunks(path, stream, length);
        int read = stream is FileStream ? Fill(path, stream, body) : body.Length;
        if (read < length)
            throw new IdxFormatException(path, $"the header announces {what} ({total} bytes in all) but the file decompresses to {headerLength + read} bytes (truncated?)");
        if (Fill(path, stream, new byte[1]) > 0)
            throw new IdxFormatException(path, $"the header announces {what} ({total} bytes in all) but the file holds more");
        return body;
    }

    private static byte[] ReadChunks(string path, Stream stream, long length)
    {
        using var memory = new MemoryStream();
        var chunk = new byte[1 << 20];
        while (memory.Length < length)
        {
            int read = Fill(path, stream, chunk, (int)Math.Min(chunk.Length, length - memory.Length));
            if (read == 0)
                break;
            memory.Write(chunk, 0, read);
        }

        return memory.ToArray();
    }

    /// <summary>Reads until <paramref name="count"/> bytes are in <paramref name="buffer"/> or the stream ends; gzip errors name the file.</summary>
    private static int Fill(string path, Stream stream, byte[] buffer, int? count = null)
    {
        try
        {
            return stream.ReadAtLeast(buffer.AsSpan(0, count ?? buffer.Length), count ?? buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new IdxFormatException(path, "not a valid gzip file (" + e.Message + ")");
        }
    }

    private static void RequireMagic(string path, byte[] bytes, int magic, string what)
    {
        int actual = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (actual != magic)
            throw new IdxFormatException(path, $"magic number 0x{actual:X8} is not that of {what} (0x{magic:X8})");
    }
}
