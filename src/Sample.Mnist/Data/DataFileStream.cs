using System;
using System.IO;
using System.IO.Compression;
using System.Runtime.InteropServices;

namespace BnGen.Sample.Mnist.Data;

/// <summary>
/// Opens a data file for reading only once it is known to be a regular file: a FIFO would block the open forever,
/// and a link to a device such as /dev/zero would never end. A <c>.gz</c> file is decompressed as it is read, so its
/// readers bound what they take by what the header announces rather than by what the archive would inflate to.
/// </summary>
internal static class DataFileStream
{
    /// <exception cref="IdxFormatException">The file is missing or not a regular file.</exception>
    public static Stream Open(string path)
    {
        RequireRegularFile(path);
        var file = File.OpenRead(path);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    /// <summary>At most <paramref name="limit"/> characters of a small text file such as SOURCE.txt.</summary>
    public static string ReadText(string path, int limit)
    {
        RequireRegularFile(path);
        using var reader = new StreamReader(File.OpenRead(path));
        var buffer = new char[limit];
        int read = reader.ReadBlock(buffer, 0, limit);
        return new string(buffer, 0, read);
    }

    /// <exception cref="IdxFormatException">The file is missing, or is a FIFO, device, socket or folder.</exception>
    public static void RequireRegularFile(string path)
    {
        if (!File.Exists(path))
            throw new IdxFormatException(path, "file not found");
        if (!OperatingSystem.IsLinux())
            return;
        // statx's buffer layout is the same on every Linux architecture (stat's is not); it follows symbolic links.
        Span<byte> buffer = stackalloc byte[256];
        try
        {
            if (Statx(AtCurrentDirectory, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
                return; // the file went away, or the kernel is too old: the open that follows reports it
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return; // a C library without statx (before glibc 2.28): File.Exists above is the check
        }

        int type = BitConverter.ToUInt16(buffer[28..30]) & 0xF000;
        if (type != RegularFileType)
            throw new IdxFormatException(path, $"not a regular file ({Describe(type)}); a data file must be an ordinary file");
    }

    private static string Describe(int type) => type switch
    {
        0x1000 => "a FIFO",
        0x2000 => "a character device",
        0x4000 => "a folder",
        0x6000 => "a block device",
        0xC000 => "a socket",
        _ => $"file type 0x{type:X4}",
    };

    private const int AtCurrentDirectory = -100;
    private const uint StatxType = 0x1;
    private const int RegularFileType = 0x8000;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directory, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, ref byte buffer);
}
