using System;
using System.Runtime.InteropServices;
using System.Text;

namespace BnGen.Mpi;

/// <summary>
/// What a rank is about to do in a collective operation, exchanged by every rank before the data so that ranks on
/// different paths (a network converted on some ranks only, sites of different widths) fail with a table of what
/// each rank was doing instead of reducing mismatched buffers or waiting forever.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 8)]
internal unsafe struct CollectiveHeader : IEquatable<CollectiveHeader>
{
    public const int LabelBytes = 72;

    public long Sequence;
    public long Kind;
    public long Count;
    public long ElementType;
    public fixed byte Label[LabelBytes];

    public static CollectiveHeader Create(long sequence, CollectiveKind kind, long count, ElementType elementType, string label)
    {
        var header = new CollectiveHeader { Sequence = sequence, Kind = (long)kind, Count = count, ElementType = (long)elementType };
        byte[] text = Encoding.UTF8.GetBytes(label);
        int length = Math.Min(text.Length, LabelBytes);
        for (int i = 0; i < length; i++)
            header.Label[i] = text[i];
        return header;
    }

    public readonly string LabelText
    {
        get
        {
            fixed (byte* label = Label)
            {
                var span = new ReadOnlySpan<byte>(label, LabelBytes);
                int end = span.IndexOf((byte)0);
                return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
            }
        }
    }

    public readonly string Describe()
    {
        string what = (CollectiveKind)Kind switch
        {
            CollectiveKind.Agree => "agreement",
            CollectiveKind.AllGather => $"all-gather of {Count} {(ElementType)ElementType} values",
            CollectiveKind.AllReduceSum => $"all-reduce (sum) of {Count} {(ElementType)ElementType} values",
            CollectiveKind.Broadcast => $"broadcast of {Count} {(ElementType)ElementType} values",
            _ => $"operation {Kind}",
        };
        return $"collective #{Sequence}: {what} for \"{LabelText}\"";
    }

    public readonly bool Equals(CollectiveHeader other)
    {
        if (Sequence != other.Sequence || Kind != other.Kind || Count != other.Count || ElementType != other.ElementType)
            return false;
        for (int i = 0; i < LabelBytes; i++)
            if (Label[i] != other.Label[i])
                return false;
        return true;
    }

    public override readonly bool Equals(object? obj) => obj is CollectiveHeader other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(Sequence, Kind, Count, ElementType);
}

internal enum CollectiveKind
{
    Agree = 1,
    AllGather = 2,
    AllReduceSum = 3,
    Broadcast = 4,
}

internal enum ElementType
{
    None = 0,
    Float32 = 1,
    Float64 = 2,
    Int64 = 3,
}
