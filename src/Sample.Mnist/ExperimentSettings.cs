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
    int TestSize,
    TimeSpan DownloadTimeout,
    bool PlainOutput);
