using System;
using System.Collections.Generic;
using System.Text;

namespace BnGen.Build;

/// <summary>Bounds-checked reading of the few ELF64 structures we need.</summary>
internal sealed class ElfReader
{
    private const uint SectionTypeVersionDefinitions = 0x6ffffffd; // SHT_GNU_verdef
    private const uint SectionTypeVersionNeeds = 0x6ffffffe;       // SHT_GNU_verneed

    private readonly byte[] _bytes;
    private readonly List<(uint Type, long Offset, long Size, uint Link, uint Info)> _sections = new();

    public ElfReader(byte[] bytes)
    {
        _bytes = bytes;
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new ElfFormatException("not an ELF file (the first four bytes are not 0x7F 'E' 'L' 'F', or the file is shorter than an ELF header)");
        if (bytes[4] != 2)
            throw new ElfFormatException($"ELF class {bytes[4]} is not supported; only 64-bit ELF (class 2) is");
        if (bytes[5] != 1)
            throw new ElfFormatException($"ELF data encoding {bytes[5]} is not supported; only little-endian (1) is");

        long sectionTableOffset = (long)U64(0x28, "e_shoff");
        int sectionEntrySize = U16(0x3A, "e_shentsize");
        int sectionCount = U16(0x3C, "e_shnum");
        if (sectionCount == 0)
            return;
        if (sectionEntrySize < 64)
            throw new ElfFormatException($"section header size {sectionEntrySize} is smaller than the 64 bytes of an ELF64 section header");

        for (int i = 0; i < sectionCount; i++)
        {
            long header = sectionTableOffset + (long)i * sectionEntrySize;
            Require(header, 64, $"section header {i}");
            _sections.Add((
                U32(header + 0x04, "sh_type"),
                (long)U64(header + 0x18, "sh_offset"),
                (long)U64(header + 0x20, "sh_size"),
                U32(header + 0x28, "sh_link"),
                U32(header + 0x2C, "sh_info")));
        }
    }

    public IEnumerable<VersionNeed> VersionNeeds()
    {
        var result = new List<VersionNeed>();
        foreach (var section in _sections)
        {
            if (section.Type != SectionTypeVersionNeeds)
                continue;

            Require(section.Offset, section.Size, ".gnu.version_r");
            var strings = StringTable(section.Link, ".gnu.version_r");
            long entry = section.Offset;
            for (uint n = 0; n < section.Info; n++)
            {
                Require(entry, 16, "a version-need entry (Elf64_Verneed)");
                int auxCount = U16(entry + 2, "vn_cnt");
                string library = String(strings, U32(entry + 4, "vn_file"));
                long aux = entry + U32(entry + 8, "vn_aux");
                for (int a = 0; a < auxCount; a++)
                {
                    Require(aux, 16, "a version-need auxiliary entry (Elf64_Vernaux)");
                    ushort flags = U16(aux + 4, "vna_flags");
                    string version = String(strings, U32(aux + 8, "vna_name"));
                    result.Add(new VersionNeed(library, version, flags, checked((int)aux)));
                    uint nextAux = U32(aux + 12, "vna_next");
                    if (nextAux == 0 && a + 1 < auxCount)
                        throw new ElfFormatException($"version need for {library} announces {auxCount} versions but its chain ends after {a + 1}");
                    aux += nextAux;
                }

                uint next = U32(entry + 12, "vn_next");
                if (next == 0)
                    break;
                entry += next;
            }
        }

        return result;
    }

    public IReadOnlyList<string> VersionDefinitions()
    {
        var result = new List<string>();
        foreach (var section in _sections)
        {
            if (section.Type != SectionTypeVersionDefinitions)
                continue;

            Require(section.Offset, section.Size, ".gnu.version_d");
            var strings = StringTable(section.Link, ".gnu.version_d");
            long entry = section.Offset;
            for (uint n = 0; n < section.Info; n++)
            {
                Require(entry, 20, "a version-definition entry (Elf64_Verdef)");
                int auxCount = U16(entry + 6, "vd_cnt");
                if (auxCount > 0)
                {
                    long aux = entry + U32(entry + 12, "vd_aux");
                    Require(aux, 8, "a version-definition auxiliary entry (Elf64_Verdaux)");
                    result.Add(String(strings, U32(aux, "vda_name")));
                }

                uint next = U32(entry + 16, "vd_next");
                if (next == 0)
                    break;
                entry += next;
            }
        }

        return result;
    }

    private (long Offset, long Size) StringTable(uint index, string owner)
    {
        if (index >= _sections.Count)
            throw new ElfFormatException($"{owner} links to section {index}, but the file has {_sections.Count} sections");
        var table = _sections[(int)index];
        Require(table.Offset, table.Size, $"the string table of {owner}");
        return (table.Offset, table.Size);
    }

    private string String((long Offset, long Size) table, uint index)
    {
        if (index >= table.Size)
            throw new ElfFormatException($"a name points at offset {index}, past the end of its {table.Size}-byte string table");
        long start = table.Offset + index;
        long end = start;
        long limit = table.Offset + table.Size;
        while (end < limit && _bytes[end] != 0)
            end++;
        if (end == limit)
            throw new ElfFormatException($"a name at string-table offset {index} is not terminated");
        return Encoding.ASCII.GetString(_bytes, (int)start, (int)(end - start));
    }

    private void Require(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset > _bytes.Length - length)
            throw new ElfFormatException($"{what} lies at bytes {offset}..{offset + length}, beyond the end of the {_bytes.Length}-byte file (truncated?)");
    }

    private ushort U16(long offset, string field)
    {
        Require(offset, 2, field);
        return (ushort)(_bytes[offset] | _bytes[offset + 1] << 8);
    }

    private uint U32(long offset, string field)
    {
        Require(offset, 4, field);
        return (uint)(_bytes[offset] | _bytes[offset + 1] << 8 | _bytes[offset + 2] << 16 | _bytes[offset + 3] << 24);
    }

    private ulong U64(long offset, string field)
    {
        Require(offset, 8, field);
        return U32(offset, field) | (ulong)U32(offset + 4, field) << 32;
    }
}
