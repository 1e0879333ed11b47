using System;
using System.IO;
using System.Linq;
using BnGen.Generator.Tests.Networks;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests.Behaviour;

/// <summary>
/// A generated network's load reads a checkpoint's keys ahead (for the fusion rule) without building a tensor from
/// the file's numbers: a file that lies about its dtype or sizes is refused with InvalidDataException that names the
/// entry, before libtorch allocates anything, and the network is unchanged. Before, the 9-byte file below killed the
/// process (SIGSEGV inside libtorch) and the 13-byte one made it allocate 3.6 GB.
/// </summary>
public sealed class CorruptCheckpointTests
{
    public static TheoryData<string, byte[], string> Files => new()
    {
        // One entry "zzz" with dtype code 255 (LEB128 ff 01), rank 1, dimension 1.
        { "unknown dtype", new byte[] { 0x01, 0x03, (byte)'z', (byte)'z', (byte)'z', 0xff, 0x01, 0x01, 0x01 }, "dtype code 255" },
        // One entry "zzz", float32, shape [30000, 30000] (LEB128 b0 ea 01), and no data.
        { "shape larger than the file", new byte[] { 0x01, 0x03, (byte)'z', (byte)'z', (byte)'z', 0x06, 0x02, 0xb0, 0xea, 0x01, 0xb0, 0xea, 0x01 }, "more data than" },
        // A declared rank of 2^29.
        { "huge rank", new byte[] { 0x01, 0x03, (byte)'z', (byte)'z', (byte)'z', 0x06, 0x80, 0x80, 0x80, 0x80, 0x02 }, "rank 536870912" },
        // 2^40 entries in a few bytes.
        { "entry count larger than the file", new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00 }, "entries" },
        // Cut off in the middle of a key.
        { "truncated", new byte[] { 0x01, 0x09, (byte)'f', (byte)'c' }, "past the end" },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void A_malformed_checkpoint_is_refused_by_name_and_changes_nothing(string what, byte[] file, string expected)
    {
        using var scope = NewDisposeScope();
        using var net = new SimpleNetBN();
        var before = net.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        using var stream = new MemoryStream(file);
        using var reader = new BinaryReader(stream);

        var error = Assert.Throws<InvalidDataException>(() => net.load(reader));

        Assert.Contains("malformed", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.Equal(0, stream.Position);
        foreach (var (key, value) in net.state_dict())
            TensorAssert.Identical(before[key], value, $"{key} after refusing the '{what}' file");
    }

    [Fact]
    public void A_checkpoint_saved_by_TorchSharp_still_loads()
    {
        using var scope = NewDisposeScope();
        using var original = new SimpleNetBN();
        using var copy = new SimpleNetBN();
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            original.save(writer);
        stream.Position = 0;

        using var reader = new BinaryReader(stream);
        copy.load(reader);

        foreach (var (key, value) in original.state_dict())
            TensorAssert.Identical(value, copy.state_dict()[key], key);
    }
}
