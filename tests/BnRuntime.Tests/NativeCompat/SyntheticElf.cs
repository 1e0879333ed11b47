using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace BnGen.Tests.NativeCompat;

/// <summary>
/// Writes minimal little-endian ELF64 files with a .gnu.version_r (needs) or .gnu.version_d (definitions)
/// section, laid out the way the GNU linker lays them out, so the tests control every byte.
/// </summary>
internal static class SyntheticElf
{
    private const int HeaderSize = 64;
    private const int SectionHeaderSize = 64;

    /// <summary>A shared object that needs the given versions of the given libraries.</summary>
    public static byte[] WithNeeds(params (string Library, string[] Versions)[] needs)
    {
        var strings = new StringTable();
        var section = new MemoryStream();
        var writer = new BinaryWriter(section);
        for (int n = 0; n < needs.Length; n++)
        {
            var (library, versions) = needs[n];
            bool last = n == needs.Length - 1;
            writer.Write((ushort)1);                          // vn_version
            writer.Write((ushort)versions.Length);            // vn_cnt
            writer.Write(strings.Add(library));               // vn_file
            writer.Write(16u);                                // vn_aux: right after this entry
            writer.Write(last ? 0u : (uint)(16 + 16 * versions.Length)); // vn_next
            for (int v = 0; v < versions.Length; v++)
            {
                writer.Write(Hash(versions[v]));              // vna_hash
                writer.Write((ushort)0);                      // vna_flags
                writer.Write((ushort)(2 + v));                // vna_other
                writer.Write(strings.Add(versions[v]));       // vna_name
                writer.Write(v == versions.Length - 1 ? 0u : 16u); // vna_next
            }
        }

        return Assemble(0x6ffffffe, section.ToArray(), (uint)needs.Length, strings.Bytes());
    }

    /// <summary>A shared object that defines the given versions (like libstdc++ does).</summary>
    public static byte[] WithDefinitions(params string[] versions)
    {
        var strings = new StringTable();
        var section = new MemoryStream();
        var writer = new BinaryWriter(section);
        for (int i = 0; i < versions.Length; i++)
        {
            writer.Write((ushort)1);                          // vd_version
            writer.Write((ushort)0);                          // vd_flags
            writer.Write((ushort)(i + 1));                    // vd_ndx
            writer.Write((ushort)1);                          // vd_cnt
            writer.Write(Hash(versions[i]));                  // vd_hash
            writer.Write(20u);                                // vd_aux
            writer.Write(i == versions.Length - 1 ? 0u : 28u); // vd_next
            writer.Write(strings.Add(versions[i]));           // vda_name
            writer.Write(0u);                                 // vda_next
        }

        return Assemble(0x6ffffffd, section.ToArray(), (uint)versions.Length, strings.Bytes());
    }

    /// <summary>Header, then the version section, then the string table, then three section headers (null, version, strtab).</summary>
    private static byte[] Assemble(uint versionSectionType, byte[] versionSection, uint entryCount, byte[] stringTable)
    {
        long versionOffset = HeaderSize;
        long stringsOffset = versionOffset + versionSection.Length;
        long sectionTableOffset = Align8(stringsOffset + stringTable.Length);

        var file = new MemoryStream();
        var w = new BinaryWriter(file);
        w.Write(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0 });
        w.Write(new byte[8]);
        w.Write((ushort)3);              // e_type: ET_DYN
        w.Write((ushort)62);             // e_machine: x86-64
        w.Write(1u);                     // e_version
        w.Write(0ul);                    // e_entry
        w.Write(0ul);                    // e_phoff
        w.Write((ulong)sectionTableOffset); // e_shoff
        w.Write(0u);                     // e_flags
        w.Write((ushort)HeaderSize);     // e_ehsize
        w.Write((ushort)56);             // e_phentsize
        w.Write((ushort)0);              // e_phnum
        w.Write((ushort)SectionHeaderSize); // e_shentsize
        w.Write((ushort)3);              // e_shnum
        w.Write((ushort)2);              // e_shstrndx (reuses the string table; names are not read)

        w.Write(versionSection);
        w.Write(stringTable);
        while (file.Length < sectionTableOffset)
            w.Write((byte)0);

        WriteSectionHeader(w, 0, 0, 0, 0, 0);
        WriteSectionHeader(w, versionSectionType, versionOffset, versionSection.Length, link: 2, info: entryCount);
        WriteSectionHeader(w, 3 /* SHT_STRTAB */, stringsOffset, stringTable.Length, 0, 0);
        return file.ToArray();
    }

    private static void WriteSectionHeader(BinaryWriter w, uint type, long offset, long size, uint link, uint info)
    {
        w.Write(0u);            // sh_name
        w.Write(type);          // sh_type
        w.Write(0ul);           // sh_flags
        w.Write(0ul);           // sh_addr
        w.Write((ulong)offset); // sh_offset
        w.Write((ulong)size);   // sh_size
        w.Write(link);          // sh_link
        w.Write(info);          // sh_info
        w.Write(0ul);           // sh_addralign
        w.Write(0ul);           // sh_entsize
    }

    private static long Align8(long value) => (value + 7) & ~7L;

    /// <summary>The System V ELF hash, as stored in vna_hash/vd_hash.</summary>
    private static uint Hash(string name)
    {
        uint h = 0;
        foreach (char c in name)
        {
            h = (h << 4) + c;
            uint g = h & 0xf0000000;
            if (g != 0)
                h ^= g >> 24;
            h &= ~g;
        }

        return h;
    }

    private sealed class StringTable
    {
        private readonly List<byte> _bytes = new() { 0 };
        private readonly Dictionary<string, uint> _offsets = new();

        public uint Add(string value)
        {
            if (_offsets.TryGetValue(value, out uint existing))
                return existing;
            uint offset = (uint)_bytes.Count;
            _bytes.AddRange(Encoding.ASCII.GetBytes(value));
            _bytes.Add(0);
            _offsets[value] = offset;
            return offset;
        }

        public byte[] Bytes() => _bytes.ToArray();
    }
}
