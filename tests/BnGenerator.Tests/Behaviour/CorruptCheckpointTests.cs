using System;
using System.Collections.Generic;
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

    public static TheoryData<string, string> WrongTensors => new()
    {
        // TorchSharp's load_state_dict would broadcast a [1] tensor into the 128 running variances.
        { "a [1] tensor for a [128] one", "'fc2_bn.running_var' is [1] in the checkpoint but [128]" },
        // TorchSharp's would copy every tensor before this one, then throw.
        { "a [3, 3] tensor for a [10] one", "'fc3.bias' is [3, 3] in the checkpoint but [10]" },
        { "an unknown key", "unexpected 'fc4.weight'" },
    };

    [Theory]
    [MemberData(nameof(WrongTensors))]
    public void A_state_dict_with_one_wrong_tensor_is_refused_before_the_first_copy(string what, string expected)
    {
        using var scope = NewDisposeScope();
        using var net = new SimpleNetBN();
        var before = net.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        // Every tensor of another network of the same shape, then the wrong one last.
        using var other = new SimpleNetBN();
        var source = other.state_dict().ToDictionary(p => p.Key, p => p.Value.clone());
        switch (what)
        {
            case "a [1] tensor for a [128] one": source["fc2_bn.running_var"] = ones(1); break;
            case "a [3, 3] tensor for a [10] one": source.Remove("fc3.bias"); source["fc3.bias"] = ones(3, 3); break;
            default: source["fc4.weight"] = ones(1); break;
        }

        var error = Assert.Throws<InvalidOperationException>(() => net.load_state_dict(source));

        Assert.Contains(expected, error.Message);
        Assert.Contains("Nothing was loaded", error.Message);
        foreach (var (key, value) in net.state_dict())
            TensorAssert.Identical(before[key], value, $"{key} after refusing {what}");
    }

    [Fact]
    public void A_lenient_state_dict_load_takes_the_keys_it_has_and_casts_other_dtypes_as_PyTorch_does()
    {
        using var scope = NewDisposeScope();
        using var net = new SimpleNetBN();
        var source = new Dictionary<string, Tensor> { ["fc3.bias"] = arange(10, ScalarType.Float64) };

        net.load_state_dict(source, strict: false);

        TensorAssert.Identical(arange(10, ScalarType.Float32), net.state_dict()["fc3.bias"], "fc3.bias cast to float32");
    }
}
