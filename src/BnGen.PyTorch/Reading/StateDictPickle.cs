using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using static TorchSharp.torch;

namespace BnGen.PyTorch.Reading;

/// <summary>A storage the pickle refers to by key; its bytes are the archive's <c>data/&lt;key&gt;</c> entry.</summary>
internal sealed record StorageRef(string Key, ScalarType DType, long Numel);

/// <summary>A tensor as <c>torch._utils._rebuild_tensor_v2</c> describes it: a strided view of a storage.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

/// <summary>
/// Reads the <c>data.pkl</c> of a <c>torch.save(model.state_dict())</c> archive with a pickle machine that knows
/// only what a state_dict needs: strings, numbers, tuples, lists and dicts, <c>collections.OrderedDict</c>,
/// <c>torch._utils._rebuild_tensor_v2</c> / <c>_rebuild_parameter</c> and the typed storages. It builds descriptions,
/// never tensors, and calls nothing: any other global is refused by name, as PyTorch's <c>weights_only=True</c> does.
/// </summary>
/// <remarks>
/// Its work is bounded by the pickle's length (every opcode consumes at least one byte; the caller caps the length),
/// its stack and memo by <see cref="MaxStack"/> and the length. Storages shared by several tensors are one
/// <see cref="StorageRef"/>, so a file that rebuilds one storage a thousand times describes it once.
/// </remarks>
internal sealed class StateDictPickle
{
    /// <summary>Far above what a state_dict needs (Python's pickler writes items in batches of 1,000).</summary>
    internal const int MaxStack = 100_000;

    /// <summary>A state_dict memoizes about ten values per tensor.</summary>
    internal const int MaxMemo = 1_000_000;

    private static readonly object Mark = new();

    private static readonly Dictionary<string, ScalarType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32,
        ["DoubleStorage"] = ScalarType.Float64,
        ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16,
        ["LongStorage"] = ScalarType.Int64,
        ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16,
        ["CharStorage"] = ScalarType.Int8,
        ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
        ["ComplexFloatStorage"] = ScalarType.ComplexFloat32,
        ["ComplexDoubleStorage"] = ScalarType.ComplexFloat64,
    };

    private readonly byte[] _pickle;
    private readonly List<object?> _stack = new();
    private readonly Dictionary<long, object?> _memo = new();
    private readonly Dictionary<string, StorageRef> _storages = new(StringComparer.Ordinal);
    private int _position;

    private StateDictPickle(byte[] pickle) => _pickle = pickle;

    /// <summary>The state_dict's entries, in the order saved.</summary>
    /// <exception cref="InvalidDataException">The pickle is not a state_dict, or is malformed; the message says what and where.</exception>
    public static IReadOnlyList<(string Key, TensorRef Tensor)> Read(byte[] pickle)
    {
        var result = new StateDictPickle(pickle).Run();
        if (result is not PickleDict dict)
            throw new InvalidDataException($"its data.pkl holds a {Describe(result)}, not a state_dict (a dictionary of tensors)");
        var entries = new List<(string, TensorRef)>(dict.Items.Count);
        foreach (var (key, value) in dict.Items)
        {
            if (key is not string name)
                throw new InvalidDataException($"a state_dict key is a {Describe(key)}, not a string");
            if (value is not TensorRef tensor)
                throw new InvalidDataException($"entry '{name}' is a {Describe(value)}, not a tensor");
            entries.Add((name, tensor));
        }

        return entries;
    }

    private object? Run()
    {
        while (_position < _pickle.Length)
        {
            int at = _position;
            byte op = _pickle[_position++];
            switch (op)
            {
                case 0x80: Take(1); break; // PROTO
                case 0x95: Take(8); break; // FRAME: a length hint, the bytes follow inline
                case (byte)'.': return Pop(at); // STOP
                case (byte)'c': Push(Global(Line(at), Line(at), at)); break;
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop(at) as string;
                    var module = Pop(at) as string;
                    if (module is null || name is null)
                        throw Malformed(at, "STACK_GLOBAL without two strings");
                    Push(Global(module, name, at));
                    break;
                }

                case 0x94: Memoize(_memo.Count, Peek(at)); break; // MEMOIZE
                case (byte)'q': Memoize(Take(1)[0], Peek(at)); break; // BINPUT
                case (byte)'r': Memoize(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), Peek(at)); break; // LONG_BINPUT
                case (byte)'h': Push(Recall(Take(1)[0], at)); break; // BINGET
                case (byte)'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)), at)); break; // LONG_BINGET
                case (byte)'(': Push(Mark); break;
                case (byte)')': Push(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case (byte)'t': Push(PopToMark(at).ToArray()); break; // TUPLE
                case 0x85: Push(new[] { Pop(at) }); break; // TUPLE1
                case 0x86: { var b = Pop(at); var a = Pop(at); Push(new[] { a, b }); break; } // TUPLE2
                case 0x87: { var c = Pop(at); var b = Pop(at); var a = Pop(at); Push(new[] { a, b, c }); break; } // TUPLE3
                case (byte)']': Push(new PickleList()); break; // EMPTY_LIST
                case (byte)'l': { var list = new PickleList(); list.AddRange(PopToMark(at)); Push(list); break; } // LIST
                case (byte)'a': { var item = Pop(at); ListAt(at).Add(item); break; } // APPEND
                case (byte)'e': { var items = PopToMark(at); ListAt(at).AddRange(items); break; } // APPENDS
                case (byte)'}': Push(new PickleDict()); break; // EMPTY_DICT
                case (byte)'d': { var items = PopToMark(at); var dict = new PickleDict(); AddPairs(dict, items, at); Push(dict); break; } // DICT
                case (byte)'s': { var value = Pop(at); var key = Pop(at); DictAt(at).Items.Add((key, value)); break; } // SETITEM
                case (byte)'u': { var items = PopToMark(at); AddPairs(DictAt(at), items, at); break; } // SETITEMS
                case (byte)'X': Push(Utf8(Length(Take(4), at), at)); break; // BINUNICODE
                case 0x8c: Push(Utf8(Take(1)[0], at)); break; // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(Length(Take(8), at), at)); break; // BINUNICODE8
                case (byte)'T': Push(Encoding.Latin1.GetString(Take(Length(Take(4), at)))); break; // BINSTRING
                case (byte)'U': Push(Encoding.Latin1.GetString(Take(Take(1)[0]))); break; // SHORT_BINSTRING
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                case (byte)'K': Push((long)Take(1)[0]); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x8a: Push(Long1(at)); break; // LONG1
                case (byte)'N': Push(null); break; // NONE
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                case (byte)'0': Pop(at); break; // POP
                case (byte)'1': PopToMark(at); break; // POP_MARK
                case (byte)'2': Push(Peek(at)); break; // DUP
                case (byte)'R': { var args = Pop(at); var callable = Pop(at); Push(Reduce(callable, args, at)); break; } // REDUCE
                case (byte)'b': { var state = Pop(at); Build(Peek(at), state, at); break; } // BUILD
                case (byte)'Q': Push(PersistentLoad(Pop(at), at)); break; // BINPERSID
                default:
                    throw Malformed(at, $"opcode 0x{op:x2}, which a state_dict's pickle does not use");
            }
        }

        throw Malformed(_pickle.Length, "the pickle ends without STOP");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _pickle.Length - _position)
            throw Malformed(_position, $"an argument of {count} bytes runs past the end of the pickle");
        var span = _pickle.AsSpan(_position, count);
        _position += count;
        return span;
    }

    private int Length(ReadOnlySpan<byte> bytes, int at)
    {
        ulong length = bytes.Length == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (length > (ulong)(_pickle.Length - _position))
            throw Malformed(at, $"a string of {length} bytes runs past the end of the pickle");
        return (int)length;
    }

    private string Utf8(int length, int at)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Take(length));
        }
        catch (DecoderFallbackException)
        {
            throw Malformed(at, "a string that is not valid UTF-8");
        }
    }

    private string Line(int at)
    {
        int end = Array.IndexOf(_pickle, (byte)'\n', _position, Math.Min(256, _pickle.Length - _position));
        if (end < 0)
            throw Malformed(at, "GLOBAL without a name");
        string line = Encoding.ASCII.GetString(_pickle, _position, end - _position);
        _position = end + 1;
        return line;
    }

    private long Long1(int at)
    {
        var bytes = Take(Take(1)[0]);
        if (bytes.Length > 8)
            throw Malformed(at, $"an integer of {bytes.Length} bytes, larger than any size or offset");
        long value = 0;
        for (int i = bytes.Length - 1; i >= 0; i--)
            value = (value << 8) | bytes[i];
        if (bytes.Length is > 0 and < 8 && (bytes[^1] & 0x80) != 0)
            value -= 1L << (8 * bytes.Length); // two's complement, as pickle writes negative numbers
        return value;
    }

    private void Push(object? value)
    {
        if (_stack.Count >= MaxStack)
            throw Malformed(_position, $"more than {MaxStack} values on the stack");
        _stack.Add(value);
    }

    private object? Pop(int at)
    {
        if (_stack.Count == 0 || _stack[^1] == Mark)
            throw Malformed(at, "an opcode pops an empty stack");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek(int at)
    {
        if (_stack.Count == 0 || _stack[^1] == Mark)
            throw Malformed(at, "an opcode reads an empty stack");
        return _stack[^1];
    }

    private List<object?> PopToMark(int at)
    {
        int mark = _stack.LastIndexOf(Mark);
        if (mark < 0)
            throw Malformed(at, "an opcode needs a MARK that is not there");
        var items = _stack.GetRange(mark + 1, _stack.Count - mark - 1);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private void Memoize(long index, object? value)
    {
        if (_memo.Count >= MaxMemo && !_memo.ContainsKey(index))
            throw Malformed(_position, $"more than {MaxMemo} memo entries");
        _memo[index] = value;
    }

    private object? Recall(long index, int at) =>
        _memo.TryGetValue(index, out var value) ? value : throw Malformed(at, $"memo entry {index} was never stored");

    private PickleList ListAt(int at) => Peek(at) as PickleList ?? throw Malformed(at, "APPEND to something that is not a list");

    private PickleDict DictAt(int at) => Peek(at) as PickleDict ?? throw Malformed(at, "SETITEM on something that is not a dict");

    private static void AddPairs(PickleDict dict, List<object?> items, int at)
    {
        if (items.Count % 2 != 0)
            throw Malformed(at, "a dict with a key and no value");
        for (int i = 0; i < items.Count; i += 2)
            dict.Items.Add((items[i], items[i + 1]));
    }

    private static object Global(string module, string name, int at)
    {
        if (module == "collections" && name == "OrderedDict")
            return KnownGlobal.OrderedDict;
        if (module == "torch._utils" && name == "_rebuild_tensor_v2")
            return KnownGlobal.RebuildTensor;
        if (module == "torch._utils" && name == "_rebuild_parameter")
            return KnownGlobal.RebuildParameter;
        if (module == "torch" && StorageTypes.TryGetValue(name, out var dtype))
            return new StorageType(name, dtype);
        throw new InvalidDataException(
            $"its pickle (byte {at}) asks for '{module}.{name}', which a state_dict never uses; refused before anything ran (only tensors, storages and OrderedDict are read, as with PyTorch's torch.load(weights_only=True))");
    }

    private static object Reduce(object? callable, object? args, int at)
    {
        if (args is not object?[] arguments)
            throw Malformed(at, "REDUCE without an argument tuple");
        switch (callable)
        {
            case KnownGlobal.OrderedDict when arguments.Length == 0:
                return new PickleDict();
            case KnownGlobal.OrderedDict when arguments.Length == 1 && arguments[0] is IReadOnlyList<object?> pairs:
                return OrderedDictOf(pairs, at); // PyBridge writes OrderedDict([])
            case KnownGlobal.RebuildTensor when arguments.Length is 6 or 7:
                return RebuildTensor(arguments, at);
            case KnownGlobal.RebuildParameter when arguments.Length == 3 && arguments[0] is TensorRef data:
                return data;
            default:
                throw Malformed(at, $"a call of {Describe(callable)} with {arguments.Length} arguments, which a state_dict does not make");
        }
    }

    private static PickleDict OrderedDictOf(IReadOnlyList<object?> pairs, int at)
    {
        var dict = new PickleDict();
        foreach (var pair in pairs)
        {
            if (pair is not object?[] { Length: 2 } kv)
                throw Malformed(at, "OrderedDict built from something that is not a list of pairs");
            dict.Items.Add((kv[0], kv[1]));
        }

        return dict;
    }

    private static TensorRef RebuildTensor(object?[] arguments, int at)
    {
        if (arguments[0] is not StorageRef storage || arguments[1] is not long offset
            || arguments[2] is not object?[] size || arguments[3] is not object?[] stride || size.Length != stride.Length)
            throw Malformed(at, "_rebuild_tensor_v2 without a storage, an offset, and a size and stride of equal rank");
        var sizes = Longs(size, at);
        var strides = Longs(stride, at);
        if (offset < 0 || Array.Exists(sizes, s => s < 0) || Array.Exists(strides, s => s < 0))
            throw Malformed(at, "a tensor with a negative size, stride or offset");
        return new TensorRef(storage, offset, sizes, strides);
    }

    private static long[] Longs(object?[] values, int at)
    {
        if (values.Length > 64)
            throw Malformed(at, $"a tensor of rank {values.Length}");
        var result = new long[values.Length];
        for (int i = 0; i < values.Length; i++)
            result[i] = values[i] is long value ? value : throw Malformed(at, "a size or stride that is not an integer");
        return result;
    }

    private static void Build(object? target, object? state, int at)
    {
        // OrderedDict's state is the state_dict's _metadata (module versions), which loading does not use.
        if (target is not PickleDict)
            throw Malformed(at, $"BUILD on a {Describe(target)}, which a state_dict does not do");
    }

    private StorageRef PersistentLoad(object? id, int at)
    {
        if (id is not object?[] { Length: 5 } tuple || tuple[0] is not "storage" || tuple[1] is not StorageType type
            || tuple[2] is not string key || tuple[3] is not string || tuple[4] is not long numel)
            throw Malformed(at, "a persistent id that is not ('storage', type, key, location, size)");
        if (numel < 0 || numel > long.MaxValue / 16)
            throw Malformed(at, $"storage '{key}' declares {numel} elements");
        var storage = new StorageRef(key, type.DType, numel);
        if (_storages.TryGetValue(key, out var known))
        {
            if (known != storage)
                throw Malformed(at, $"storage '{key}' is declared twice, as {known.DType}[{known.Numel}] and {storage.DType}[{storage.Numel}]");
            return known;
        }

        _storages.Add(key, storage);
        return storage;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        string => "string",
        long => "integer",
        object?[] => "tuple",
        PickleList => "list",
        PickleDict => "dict",
        TensorRef => "tensor",
        StorageRef => "storage",
        StorageType t => "torch." + t.Name,
        KnownGlobal g => g.ToString(),
        _ => value.GetType().Name,
    };

    private static InvalidDataException Malformed(int at, string what) => new($"its pickle is malformed at byte {at}: {what}");

    private enum KnownGlobal
    {
        OrderedDict,
        RebuildTensor,
        RebuildParameter,
    }

    private sealed record StorageType(string Name, ScalarType DType);

    private sealed class PickleList : List<object?>;

    private sealed class PickleDict
    {
        public List<(object? Key, object? Value)> Items { get; } = new();
    }
}
