using System;

namespace BnGen.Sample.Mnist.Data;

/// <summary>No copy of the data set could be found or fetched; the message says what was tried and what to do.</summary>
public sealed class DataUnavailableException : Exception
{
    public DataUnavailableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
