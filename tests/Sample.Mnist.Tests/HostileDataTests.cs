using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.IO.Compression;
using System.Threading.Tasks;
using BnGen.Sample.Mnist.Data;

namespace BnGen.Sample.Mnist.Tests;

/// <summary>
/// Data folders nobody should have to trust, found when issue 24 attacked the sample: compression bombs, headers that
/// announce more than a file holds, files that are not files, and a SOURCE.txt of gigabytes. Each is refused with an
/// <see cref="IdxFormatException"/> naming the file, quickly, having allocated no more than the file really holds.
/// Before: 4.2 GB resident and "Stream was too long" without a name, an unhandled OutOfMemoryException, a hang.
/// </summary>
public sealed class HostileDataTests : IDisposable
{
    private const long Megabyte = 1 << 20;
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static byte[] ImageHeader(int count, int rows = 28, int columns = 28)
    {
        var header = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(header, IdxFile.ImageMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), columns);
        return header;
    }

    /// <summary>A .gz holding the header and then <paramref name="zeros"/> zero bytes (written in pieces: no big array here).</summary>
    private string Gzip(string name, byte[] header, long zeros)
    {
        string path = _folder.File(name);
        using var gzip = new GZipStream(File.Create(path), CompressionLevel.Fastest);
        gzip.Write(header);
        var block = new byte[Megabyte];
        for (long left = zeros; left > 0; left -= block.Length)
            gzip.Write(block, 0, (int)Math.Min(block.Length, left));
        return path;
    }

    /// <summary>The exception, the bytes the reading thread allocated, and how long it took.</summary>
    private static (IdxFormatException Error, long Allocated, TimeSpan Elapsed) Refusal(Func<object> read)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<IdxFormatException>(read);
        return (error, GC.GetAllocatedBytesForCurrentThread() - before, clock.Elapsed);
    }

    [Fact]
    public void A_gzip_bomb_behind_a_valid_header_is_read_only_as_far_as_the_header_announces()
    {
        // 10 images announced (7,856 bytes), then 512 MB of zeros: about 0.5 MB compressed.
        string path = Gzip("bomb-images-idx3-ubyte.gz", ImageHeader(10), 512 * Megabyte);

        var (error, allocated, elapsed) = Refusal(() => IdxFile.ReadImages(path));

        Assert.StartsWith(path + ":", error.Message);
        Assert.Contains("holds more", error.Message);
        Assert.True(allocated < 4 * Megabyte, $"allocated {allocated / Megabyte} MB");
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed.TotalSeconds:F1} s");
    }

    [Fact]
    public void A_header_announcing_more_images_than_any_data_set_is_refused_before_reading_on()
    {
        string path = Gzip("huge-images-idx3-ubyte.gz", ImageHeader(2_700_000), 2 * Megabyte);

        var (error, allocated, _) = Refusal(() => IdxFile.ReadImages(path));

        Assert.StartsWith(path + ":", error.Message);
        Assert.Contains("2700000 images", error.Message);
        Assert.True(allocated < Megabyte, $"allocated {allocated / Megabyte} MB");
    }

    [Fact]
    public void A_gzip_that_inflates_to_less_than_its_header_announces_costs_only_what_it_holds()
    {
        // A million images announced (784 MB), 2 MB there.
        string path = Gzip("short-images-idx3-ubyte.gz", ImageHeader(1_000_000), 2 * Megabyte);

        var (error, allocated, _) = Refusal(() => IdxFile.ReadImages(path));

        Assert.StartsWith(path + ":", error.Message);
        Assert.Contains("truncated", error.Message);
        Assert.True(allocated < 16 * Megabyte, $"allocated {allocated / Megabyte} MB for a file of 2 MB");
    }

    [Fact]
    public void A_link_to_dev_zero_is_not_a_data_file()
    {
        string path = _folder.File("train-images-idx3-ubyte");
        File.CreateSymbolicLink(path, "/dev/zero");

        var (error, _, elapsed) = Refusal(() => IdxFile.ReadImages(path));

        Assert.Contains("not a regular file (a character device)", error.Message);
        Assert.StartsWith(path + ":", error.Message);
        Assert.True(elapsed < TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task A_fifo_is_refused_without_waiting_for_a_writer()
    {
        string path = _folder.File("t10k-labels-idx1-ubyte");
        using (var mkfifo = Process.Start("mkfifo", path)!)
            Assert.True(mkfifo.WaitForExit(10_000) && mkfifo.ExitCode == 0, "mkfifo failed");

        var read = Task.Run(() => IdxFile.ReadLabels(path));
        var first = await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(first == read, "reading a FIFO hung");

        var error = await Assert.ThrowsAsync<IdxFormatException>(() => read);
        Assert.Contains("not a regular file (a FIFO)", error.Message);
    }

    [Fact]
    public void Garbage_named_gz_is_reported_as_not_gzip()
    {
        string path = _folder.File("train-labels-idx1-ubyte.gz");
        File.WriteAllBytes(path, new byte[] { 0x1f, 0x8b, 8, 0, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9 });

        var (error, _, _) = Refusal(() => IdxFile.ReadLabels(path));

        Assert.StartsWith(path + ":", error.Message);
        Assert.Contains("not a valid gzip file", error.Message);
    }

    [Fact]
    public void A_source_file_of_gigabytes_is_read_only_a_line_deep()
    {
        string data = _folder.File("data");
        SyntheticMnist.WriteFolder(data, train: 20, test: 10);
        using (var sparse = File.Create(Path.Combine(data, "SOURCE.txt")))
        {
            sparse.Write("made by a test\n"u8);
            sparse.SetLength(3L << 30); // 3 GB, sparse: no disk used
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        var acquirer = new DatasetAcquirer(_ => { }, TimeSpan.FromSeconds(1));
        acquirer.Acquire(data, DatasetKind.Mnist);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.StartsWith("made by a test", acquirer.Source);
        Assert.True(allocated < Megabyte, $"allocated {allocated / Megabyte} MB");
    }
}
