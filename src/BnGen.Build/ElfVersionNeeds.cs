using System;
using System.Collections.Generic;
using System.Text;

namespace BnGen.Build;

/// <summary>
/// Reads and edits the symbol-versioning sections of a little-endian ELF64 shared object
/// (.gnu.version_r, the versions it needs; .gnu.version_d, the versions it defines).
/// </summary>
internal static class ElfVersionNeeds
{
    private const ushort VersionFlagWeak = 0x2;                    // VER_FLG_WEAK
    private const int VernauxFlagsOffset = 4;                      // Elf64_Vernaux.vna_flags

    /// <summary>
    /// Sets <c>VER_FLG_WEAK</c> on the need for <paramref name="version"/> of <paramref name="library"/>.
    /// Only the two flag bytes of that one entry can change.
    /// </summary>
    /// <exception cref="ElfFormatException">The bytes are not a well-formed little-endian ELF64 file.</exception>
    public static WeakMarkResult MarkWeak(byte[] elf, string library, string version)
    {
        var reader = new ElfReader(elf);
        foreach (var need in reader.VersionNeeds())
        {
            if (need.Library != library || need.Version != version)
                continue;

            if ((need.Flags & VersionFlagWeak) != 0)
                return WeakMarkResult.AlreadyWeak;

            ushort flags = (ushort)(need.Flags | VersionFlagWeak);
            elf[need.EntryOffset + VernauxFlagsOffset] = (byte)flags;
            elf[need.EntryOffset + VernauxFlagsOffset + 1] = (byte)(flags >> 8);
            return WeakMarkResult.Marked;
        }

        return WeakMarkResult.NotRequired;
    }

    /// <summary>Every (library, version, flags) the file needs, in file order.</summary>
    public static IReadOnlyList<(string Library, string Version, ushort Flags)> ListNeeds(byte[] elf)
    {
        var result = new List<(string, string, ushort)>();
        foreach (var need in new ElfReader(elf).VersionNeeds())
            result.Add((need.Library, need.Version, need.Flags));
        return result;
    }

    /// <summary>The version names a shared library defines (for libstdc++: GLIBCXX_3.4, …).</summary>
    public static IReadOnlyList<string> ListDefinitions(byte[] elf) => new ElfReader(elf).VersionDefinitions();

}
