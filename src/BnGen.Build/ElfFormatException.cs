using System;

namespace BnGen.Build;

/// <summary>The file is not an ELF file this code understands, or its structure is inconsistent.</summary>
internal sealed class ElfFormatException : Exception
{
    public ElfFormatException(string message) : base(message) { }
}
