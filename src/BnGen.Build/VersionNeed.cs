namespace BnGen.Build;

internal readonly struct VersionNeed
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
