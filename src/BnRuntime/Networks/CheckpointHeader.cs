using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Reads the entries of a checkpoint written by TorchSharp's <c>save</c> without building a tensor: each entry's
/// header (key, dtype, shape) is parsed, its data skipped, and every declared size checked against what the stream
/// holds. A file that lies about its sizes is refused here, before libtorch allocates what it declares
/// (TorchSharp's own reader calls <c>torch.zeros</c> with the file's numbers first).
/// </summary>
/// <remarks>
/// The format, as TorchSharp writes it: the entry count (unsigned LEB128); then per entry the key (a .NET
/// <see cref="BinaryWriter"/> string), the dtype, the rank and each dimension (unsigned LEB128), and the raw data.
/// </remarks>
internal static class CheckpointHeader
{
    /// <summary>One entry of the checkpoint, as its header declares it.</summary>
    internal sealed record Entry(string Key, ScalarType DType, long[] Shape);

    /// <summary>The entries, the reader left where it was.</summary>
    /// <exception cref="InvalidDataException">The checkpoint is malformed; the message names the entry and what is wrong.</exception>
    /// <exception cref="NotSupportedException">The stream cannot seek.</exception>
    public static IReadOnlyList<Entry> Peek(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var stream = reader.BaseStream;
        long start = stream.Position;
        try
        {
            long count = ReadLeb128(reader, "the entry count");
            // Each entry takes at least three bytes (key length, dtype, rank): a count the stream cannot hold is a lie,
            // refused before a list is sized from it.
            if (count > (stream.Length - stream.Position) / 3)
                throw Malformed(reader, start, $"it declares {count} entries in {stream.Length - start} bytes");
            var entries = new List<Entry>((int)count);
            for (long i = 0; i < count; i++)
            {
                string key = ReadKey(reader, i, start);
                entries.Add(SkipTensor(reader, key, start));
            }

            return entries;
        }
        catch (EndOfStreamException)
        {
            throw Malformed(reader, start, "it ends in the middle of an entry");
        }
        finally
        {
            stream.Position = start;
        }
    }

    private static string ReadKey(BinaryReader reader, long index, long start)
    {
        var stream = reader.BaseStream;
        long length = ReadLeb128(reader, $"the length of key {index}");
        if (length > stream.Length - stream.Position)
            throw Malformed(reader, start, $"key {index} declares {length} bytes, past the end of the file");
        var bytes = reader.ReadBytes((int)length);
        try
        {
            return new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Malformed(reader, start, $"key {index} is not valid UTF-8");
        }
    }

    private static Entry SkipTensor(BinaryReader reader, string key, long start)
    {
        var stream = reader.BaseStream;
        long code = ReadLeb128(reader, $"the dtype of '{key}'");
        long elementSize = ElementSize(code);
        if (elementSize == 0)
            throw Malformed(reader, start, $"entry '{key}' has dtype code {code}, which is not a tensor type TorchSharp saves");
        long rank = ReadLeb128(reader, $"the rank of '{key}'");
        if (rank > 64)
            throw Malformed(reader, start, $"entry '{key}' declares rank {rank}");
        long remaining = stream.Length - stream.Position;
        long bytes = elementSize;
        var shape = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            shape[d] = ReadLeb128(reader, $"dimension {d} of '{key}'");
            // Multiplies only while the product stays within what the file holds: no overflow, and a lie is found at once.
            if (shape[d] != 0 && bytes > remaining / shape[d])
                throw Malformed(reader, start, $"entry '{key}' declares shape [{string.Join(", ", shape[..(d + 1)])}{(d + 1 < rank ? ", …" : "")}] of {(ScalarType)code}, more data than the {remaining} bytes left in the file");
            bytes *= shape[d];
        }

        if (bytes > stream.Length - stream.Position)
            throw Malformed(reader, start, $"entry '{key}' declares {bytes} bytes of data, past the end of the file");
        stream.Seek(bytes, SeekOrigin.Current);
        return new Entry(key, (ScalarType)code, shape);
    }

    /// <summary>Bytes per element of the dtypes TorchSharp saves, by ScalarType code; 0 for any other code.</summary>
    private static long ElementSize(long code) => code switch
    {
        (long)ScalarType.Byte or (long)ScalarType.Int8 or (long)ScalarType.Bool => 1,
        (long)ScalarType.Int16 or (long)ScalarType.Float16 or (long)ScalarType.BFloat16 => 2,
        (long)ScalarType.Int32 or (long)ScalarType.Float32 => 4,
        (long)ScalarType.Int64 or (long)ScalarType.Float64 or (long)ScalarType.ComplexFloat32 => 8,
        (long)ScalarType.ComplexFloat64 => 16,
        _ => 0,
    };

    // TorchSharp writes counts, lengths and dimensions as unsigned LEB128; more than 63 bits is not a size.
    private static long ReadLeb128(BinaryReader reader, string what)
    {
        long result = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            byte b = reader.ReadByte();
            result |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return result;
        }

        throw Malformed(reader, reader.BaseStream.Position, $"{what} is not a valid LEB128 number");
    }

    /// <summary>The file behind the reader: TorchSharp's <c>load(path)</c> reads through a FileStream, which knows its name.</summary>
    internal static string? FileName(BinaryReader reader) => reader.BaseStream is FileStream { Name: { Length: > 0 } name } ? name : null;

    private static InvalidDataException Malformed(BinaryReader reader, long start, string what)
    {
        string file = FileName(reader) is { } name ? $" '{name}'" : "";
        return new($"The checkpoint{file} is malformed: {what} (read from offset {start.ToString(CultureInfo.InvariantCulture)}). Nothing was loaded.");
    }
}
