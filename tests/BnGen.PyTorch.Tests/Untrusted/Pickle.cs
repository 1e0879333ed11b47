using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Text;

namespace BnGen.PyTorch.Tests.Untrusted;

/// <summary>Writes pickle opcodes by name, for the hostile checkpoints the tests build (protocol 2, as torch.save).</summary>
internal sealed class Pickle
{
    private readonly List<byte> _bytes = new() { 0x80, 2 };

    public Pickle Op(char opcode) { _bytes.Add((byte)opcode); return this; }

    public Pickle Op(byte opcode) { _bytes.Add(opcode); return this; }

    public Pickle Global(string module, string name) => Op('c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public Pickle String(string value)
    {
        var utf8 = Encoding.UTF8.GetBytes(value);
        Op('X');
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
        return Raw(length.ToArray()).Raw(utf8);
    }

    public Pickle Int(int value)
    {
        Op('J');
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return Raw(bytes.ToArray());
    }

    public Pickle Put(int index) { Op('r'); return Raw(BitConverter.GetBytes(index)); }

    public Pickle Get(int index) { Op('j'); return Raw(BitConverter.GetBytes(index)); }

    public Pickle Mark() => Op('(');

    public Pickle Tuple() => Op('t');

    public Pickle Ints(params long[] values)
    {
        Mark();
        foreach (var v in values)
            Int(checked((int)v));
        return Tuple();
    }

    /// <summary>A tensor as torch.save writes it: _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()).</summary>
    public Pickle Tensor(string storageKey, long numel, long[] size, long[] stride, long offset = 0, string storageType = "FloatStorage")
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().String("storage").Global("torch", storageType).String(storageKey).String("cpu").Int(checked((int)numel)).Tuple().Op('Q');
        Int(checked((int)offset)).Ints(size).Ints(stride).Op(0x89);
        Global("collections", "OrderedDict").Op(')').Op('R');
        return Tuple().Op('R');
    }

    public Pickle Raw(byte[] bytes) { _bytes.AddRange(bytes); return this; }

    public byte[] ToArray() => _bytes.ToArray();
}
