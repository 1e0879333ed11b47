// MSBuild compiles this file on demand (RoslynCodeTaskFactory) in every build that imports BnGen.targets,
// so it has to stand alone: one file, no references beyond the BCL and MSBuild's own assemblies.
// The unit tests compile the same file.
//
// Why it exists: TorchSharp 0.107.0 ships libLibTorchSharp.so built with GCC 13, which records a need for
// GLIBCXX_3.4.32 (for std::ios_base_library_init(), a symbol GCC 13 references only to force that
// dependency; no relocation uses it). Debian 12 and Ubuntu 22.04 ship libstdc++ up to GLIBCXX_3.4.30, so the
// dynamic loader refuses the library. Marking that one version need "weak" (VER_FLG_WEAK) in the copy in
// the build output tells the loader to accept a libstdc++ that lacks it; nothing else in the file changes.
#nullable enable

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BnGen.Build
{
    /// <summary>The file is not an ELF file this code understands, or its structure is inconsistent.</summary>
    public sealed class ElfFormatException : Exception
    {
        public ElfFormatException(string message) : base(message) { }
    }

    /// <summary>What <see cref="ElfVersionNeeds.MarkWeak"/> found and did.</summary>
    public enum WeakMarkResult
    {
        /// <summary>The flag was set; the bytes changed.</summary>
        Marked,
        /// <summary>The version need was already weak; nothing changed.</summary>
        AlreadyWeak,
        /// <summary>The file does not need that version of that library; nothing changed.</summary>
        NotRequired,
    }

    /// <summary>
    /// Reads and edits the symbol-versioning sections of a little-endian ELF64 shared object
    /// (.gnu.version_r, the versions it needs; .gnu.version_d, the versions it defines).
    /// </summary>
    public static class ElfVersionNeeds
    {
        private const uint SectionTypeVersionDefinitions = 0x6ffffffd; // SHT_GNU_verdef
        private const uint SectionTypeVersionNeeds = 0x6ffffffe;       // SHT_GNU_verneed
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

        private readonly struct VersionNeed
        {
            public VersionNeed(string library, string version, ushort flags, int entryOffset)
            {
                Library = library;
                Version = version;
                Flags = flags;
                EntryOffset = entryOffset;
            }

            public string Library { get; }
            public string Version { get; }
            public ushort Flags { get; }
            public int EntryOffset { get; }
        }

        /// <summary>Bounds-checked reading of the few ELF64 structures we need.</summary>
        private sealed class ElfReader
        {
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
    }

    /// <summary>Finds the libstdc++ the dynamic loader would use and tells which versions it defines.</summary>
    public static class HostLibStdCxx
    {
        /// <summary>
        /// The directories searched, in the loader's order for a default install: LD_LIBRARY_PATH, then the
        /// multiarch and classic library directories of the common distributions.
        /// </summary>
        public static IEnumerable<string> CandidatePaths()
        {
            var ldLibraryPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ldLibraryPath))
            {
                foreach (var dir in ldLibraryPath!.Split(':'))
                {
                    if (dir.Length > 0)
                        yield return Path.Combine(dir, "libstdc++.so.6");
                }
            }

            foreach (var dir in new[]
            {
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/usr/lib64", "/lib64", "/usr/lib", "/lib",
            })
            {
                yield return Path.Combine(dir, "libstdc++.so.6");
            }
        }

        /// <summary>The first candidate that exists, or null when none does.</summary>
        public static string? Locate()
        {
            foreach (var path in CandidatePaths())
            {
                if (File.Exists(path))
                    return path;
            }

            return null;
        }

        /// <summary>Whether the libstdc++ at <paramref name="path"/> defines <paramref name="version"/>.</summary>
        public static bool Defines(string path, string version)
        {
            foreach (var defined in ElfVersionNeeds.ListDefinitions(File.ReadAllBytes(path)))
            {
                if (defined == version)
                    return true;
            }

            return false;
        }
    }

    /// <summary>
    /// MSBuild task: marks libLibTorchSharp.so's need for GLIBCXX_3.4.32 weak in the given output copies when the
    /// host's libstdc++ lacks that version. Writes through a temporary file and a rename, so a hard-linked copy
    /// (and so the NuGet cache behind it) is never modified.
    /// </summary>
    public sealed class MakeLibTorchSharpLoadable : Task
    {
        public const string Library = "libstdc++.so.6";
        public const string Version = "GLIBCXX_3.4.32";

        /// <summary>The copies of libLibTorchSharp.so in a build or publish output.</summary>
        [Required]
        public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

        /// <summary>auto (patch when the host's libstdc++ lacks the version), always, or off.</summary>
        public string Mode { get; set; } = "auto";

        /// <summary>Overrides the libstdc++ that auto mode inspects (tests and unusual hosts).</summary>
        public string? HostLibStdCxxPath { get; set; }

        public override bool Execute()
        {
            string mode = (Mode ?? "auto").Trim().ToLowerInvariant();
            if (mode == "off" || Files.Length == 0)
                return true;
            if (mode != "auto" && mode != "always")
            {
                Log.LogError($"BnGen: BnGenLibTorchSharpCompat is '{Mode}'; expected auto, always or off.");
                return false;
            }

            if (mode == "auto")
            {
                string? host = string.IsNullOrEmpty(HostLibStdCxxPath) ? HostLibStdCxx.Locate() : HostLibStdCxxPath;
                if (host is null)
                {
                    Log.LogMessage(MessageImportance.Low, "BnGen: no libstdc++.so.6 found on this host; libLibTorchSharp.so left as shipped.");
                    return true;
                }

                try
                {
                    if (HostLibStdCxx.Defines(host, Version))
                    {
                        Log.LogMessage(MessageImportance.Low, $"BnGen: {host} defines {Version}; libLibTorchSharp.so left as shipped.");
                        return true;
                    }
                }
                catch (Exception e) when (e is ElfFormatException || e is IOException || e is UnauthorizedAccessException)
                {
                    Log.LogError($"BnGen: cannot read the host's libstdc++ at {host}: {e.Message}");
                    return false;
                }
            }

            bool ok = true;
            foreach (var item in Files)
                ok &= PatchOne(item.ItemSpec);
            return ok;
        }

        private bool PatchOne(string path)
        {
            try
            {
                byte[] bytes = File.ReadAllBytes(path);
                var result = ElfVersionNeeds.MarkWeak(bytes, Library, Version);
                switch (result)
                {
                    case WeakMarkResult.Marked:
                        ReplaceFile(path, bytes);
                        Log.LogMessage(MessageImportance.Normal, $"BnGen: marked {Version} weak in {path} so that it loads with this host's libstdc++.");
                        break;
                    case WeakMarkResult.AlreadyWeak:
                        Log.LogMessage(MessageImportance.Low, $"BnGen: {path} already loads with this host's libstdc++.");
                        break;
                    default:
                        Log.LogMessage(MessageImportance.Low, $"BnGen: {path} does not need {Version}; left unchanged.");
                        break;
                }

                return true;
            }
            catch (Exception e) when (e is ElfFormatException || e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogError($"BnGen: cannot make {path} loadable on this host: {e.Message}");
                return false;
            }
        }

        /// <summary>
        /// Writes beside the target and renames over it (File.Replace is a rename on Unix), so a hard-linked
        /// copy gets a new file of its own and whatever it was linked to is never written.
        /// </summary>
        public static void ReplaceFile(string path, byte[] bytes)
        {
            string temporary = path + ".bngen-" + Guid.NewGuid().ToString("N") + ".tmp";
            try
            {
                File.WriteAllBytes(temporary, bytes);
                File.Replace(temporary, path, destinationBackupFileName: null);
            }
            finally
            {
                if (File.Exists(temporary))
                    File.Delete(temporary);
            }
        }
    }
}
