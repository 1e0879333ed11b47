using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using BnGen.TestSupport.Article;
using static TorchSharp.torch;

namespace BnGen.PyTorch.Tests.Untrusted;

/// <summary>
/// 10,000 mutations of a valid checkpoint in each format, loaded into a generated SimpleNetBN: byte flips, truncations,
/// and count, length and size fields set to extremes. Every load must either succeed or end in InvalidDataException
/// or InvalidOperationException with the network bit-identical to before; anything else (another exception, or a
/// refusal after a change) fails with the seed and mutation that caused it. A process death fails the run.
/// Seeded, so a failure reproduces.
/// </summary>
public sealed class FuzzTests
{
    private const int Mutations = 10_000;

    [Fact]
    public void Mutated_dat_checkpoints_load_or_are_refused_without_a_change()
    {
        using var scope = NewDisposeScope();
        using var net = new SimpleNetBN();
        var (valid, fields) = DatOf(net);
        var random = new Random(24);
        var outcomes = Fuzz(net, Mutations, i =>
        {
            var (bytes, what) = MutateDat(valid, fields, random);
            return (what, () => net.load(new BinaryReader(new MemoryStream(bytes))), () => net.load(new BinaryReader(new MemoryStream(valid))));
        });

        // Not vacuous: both outcomes happen, and most mutations of the header are refused.
        Assert.True(outcomes.Refused > Mutations / 2 && outcomes.Loaded > 0, $"{outcomes.Refused} refused, {outcomes.Loaded} loaded");
    }

    [Fact]
    public void Mutated_pt_checkpoints_load_or_are_refused_without_a_change()
    {
        using var scope = NewDisposeScope();
        using var net = new SimpleNetBN();
        var valid = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "SimpleNetBN.pt"));
        var (pickle, storages) = Unzip(valid);
        net.LoadPyTorch(new MemoryStream(valid)); // the state every refused load must leave
        var random = new Random(24);
        var outcomes = Fuzz(net, Mutations, i =>
        {
            var (bytes, what) = random.Next(2) == 0 ? MutatePickle(pickle, storages, random) : MutateBytes(valid, random);
            return (what, () => net.LoadPyTorch(new MemoryStream(bytes)), () => net.LoadPyTorch(new MemoryStream(valid)));
        });

        Assert.True(outcomes.Refused > Mutations / 2 && outcomes.Loaded > 0, $"{outcomes.Refused} refused, {outcomes.Loaded} loaded");
    }

    private static (int Refused, int Loaded) Fuzz(nn.Module net, int count, Func<int, (string What, Action Load, Action Restore)> next)
    {
        int refused = 0, loaded = 0;
        var before = Snapshot(net);
        for (int i = 0; i < count; i++)
        {
            var (what, load, restore) = next(i);
            try
            {
                load();
                loaded++;
                restore();
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException)
            {
                refused++;
                var after = Snapshot(net);
                foreach (var (key, bytes) in before)
                    Assert.True(bytes.AsSpan().SequenceEqual(after[key]), $"mutation {i} ({what}) was refused ({e.Message}) but changed '{key}'");
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} ({what}) ended in {e.GetType().Name}, not a refusal: {e.Message}");
            }
        }

        return (refused, loaded);
    }

    private static Dictionary<string, byte[]> Snapshot(nn.Module net) =>
        net.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().bytes.ToArray());

    /// <summary>The network's own checkpoint, and the offset and length of every header field in it.</summary>
    private static (byte[] Bytes, List<(int Offset, int Length)> Fields) DatOf(nn.Module net)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            net.save(writer);
        var bytes = buffer.ToArray();

        // Walk the format to find the fields: count; then per entry key length + key, dtype, rank, dimensions, data.
        var fields = new List<(int, int)>();
        int position = 0;
        long Field()
        {
            int start = position;
            long value = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = bytes[position++];
                value |= (long)(b & 0x7f) << shift;
                if ((b & 0x80) == 0)
                    break;
            }

            fields.Add((start, position - start));
            return value;
        }

        long entries = Field();
        for (long e = 0; e < entries; e++)
        {
            int keyLength = (int)Field(); // read before position moves past the key
            position += keyLength;
            var dtype = (ScalarType)Field();
            long rank = Field();
            long elements = 1;
            for (long d = 0; d < rank; d++)
                elements *= Field();
            position += (int)(elements * (dtype == ScalarType.Int64 ? 8 : 4));
        }

        Assert.Equal(bytes.Length, position);
        return (bytes, fields);
    }

    private static readonly byte[][] Extremes =
    {
        new byte[] { 0 },
        new byte[] { 0x7f },
        new byte[] { 0xff, 0xff, 0xff, 0xff, 0x07 },
        new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
        new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 },
        new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
    };

    private static (byte[], string) MutateDat(byte[] valid, List<(int Offset, int Length)> fields, Random random)
    {
        switch (random.Next(4))
        {
            case 0:
            {
                var (offset, length) = fields[random.Next(fields.Count)];
                var extreme = Extremes[random.Next(Extremes.Length)];
                return (Splice(valid, offset, length, extreme), $"field at {offset} set to {Convert.ToHexString(extreme)}");
            }

            case 1:
            {
                var (offset, _) = fields[random.Next(fields.Count)];
                var bytes = (byte[])valid.Clone();
                byte value = (byte)random.Next(256);
                bytes[offset] = value;
                return (bytes, $"field byte {offset} set to {value:x2}");
            }

            case 2:
            {
                int length = random.Next(valid.Length);
                return (valid[..length], $"truncated to {length} bytes");
            }

            default:
                return MutateBytes(valid, random);
        }
    }

    private static (byte[], string) MutateBytes(byte[] valid, Random random)
    {
        var bytes = (byte[])valid.Clone();
        int flips = 1 + random.Next(4);
        var where = new List<int>();
        for (int f = 0; f < flips; f++)
        {
            // Half the flips land in the last 2 KB: the zip's central directory, or the .dat's last headers.
            int at = random.Next(2) == 0 ? random.Next(bytes.Length) : Math.Max(0, bytes.Length - 1 - random.Next(2048));
            bytes[at] ^= (byte)(1 << random.Next(8));
            where.Add(at);
        }

        return random.Next(8) == 0 ? (bytes[..random.Next(bytes.Length)], "truncated") : (bytes, $"bits flipped at {string.Join(", ", where)}");
    }

    private static (byte[], string) MutatePickle(byte[] pickle, List<(string Name, byte[] Bytes)> entries, Random random)
    {
        var mutated = (byte[])pickle.Clone();
        string what;
        switch (random.Next(4))
        {
            case 0:
            {
                int at = random.Next(mutated.Length);
                mutated[at] = (byte)random.Next(256);
                what = $"pickle byte {at} set to {mutated[at]:x2}";
                break;
            }

            case 1:
            {
                int at = random.Next(mutated.Length);
                var extreme = Extremes[random.Next(Extremes.Length)];
                mutated = Splice(mutated, at, Math.Min(4, mutated.Length - at), extreme);
                what = $"pickle bytes at {at} replaced by {Convert.ToHexString(extreme)}";
                break;
            }

            case 2:
            {
                int length = random.Next(mutated.Length);
                mutated = mutated[..length];
                what = $"pickle truncated to {length} bytes";
                break;
            }

            default:
            {
                // Moves an opcode: a plausible pickle in the wrong order.
                int from = random.Next(mutated.Length), to = random.Next(mutated.Length);
                (mutated[from], mutated[to]) = (mutated[to], mutated[from]);
                what = $"pickle bytes {from} and {to} swapped";
                break;
            }
        }

        return (Rezip(entries, mutated), what);
    }

    private static byte[] Splice(byte[] bytes, int offset, int length, byte[] replacement) =>
        bytes[..offset].Concat(replacement).Concat(bytes[(offset + length)..]).ToArray();

    private static (byte[] Pickle, List<(string Name, byte[] Bytes)> Entries) Unzip(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        var entries = archive.Entries.Select(e =>
        {
            using var stream = e.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return (e.FullName, copy.ToArray());
        }).ToList();
        return (entries.Single(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal)).Item2, entries);
    }

    private static byte[] Rezip(List<(string Name, byte[] Bytes)> entries, byte[] pickle)
    {
        using var buffer = new MemoryStream();
        using (var archive = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
                stream.Write(name.EndsWith("/data.pkl", StringComparison.Ordinal) ? pickle : bytes);
            }
        }

        return buffer.ToArray();
    }
}
