using System;

namespace BnGen.Sample.Mnist.Data;

/// <summary>A data file is missing, truncated, or not the IDX file it should be. The message names the file.</summary>
public sealed class IdxFormatException : Exception
{
    public IdxFormatException(string path, string problem)
        : base($"{path}: {problem}")
    {
        Path = path;
    }

    /// <summary>The offending file.</summary>
    public string Path { get; }
}
