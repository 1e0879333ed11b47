using System;
using BnGen.Sample.Mnist.Data;
using BnGen.Sample.Mnist.Models;
using BnGen.Sample.Mnist.Training;

namespace BnGen.Sample.Mnist;

/// <summary>Everything the command line decides.</summary>
public sealed record ExperimentSettings(
    string DataFolder,
    DatasetKind Dataset,
    ModelKind Model,
    TrainingOptions Training,
    int Threads,
    string OutputFolder,
    TimeSpan DownloadTimeout,
    bool PlainOutput,
    string? ChecksumsFile = null)
{
    /// <summary>What the data files must be: the checksums in <see cref="ChecksumsFile"/>, or the data set's known ones.</summary>
    public DataChecksums Checksums() => ChecksumsFile is null ? DataChecksums.For(Dataset) : DataChecksums.Load(ChecksumsFile);
}
