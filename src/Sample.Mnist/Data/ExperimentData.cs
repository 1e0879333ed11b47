using System;
using BnGen.Mpi;

namespace BnGen.Sample.Mnist.Data;

/// <summary>Both experiments' first step: find or fetch the data set, check every file, and load it.</summary>
public static class ExperimentData
{
    /// <param name="settings">Where the data is, which data set, which checksums.</param>
    /// <param name="log">Progress lines (only rank 0's are shown in a distributed run).</param>
    /// <param name="world">In a distributed run, rank 0 fetches and caches first and the others then read the cache,
    /// instead of racing to write it; null for one process.</param>
    public static MnistData Load(ExperimentSettings settings, Action<string> log, MpiWorld? world = null)
    {
        var checksums = settings.Checksums();
        bool root = world?.IsRoot ?? true;
        var acquirer = new DatasetAcquirer(root ? log : _ => { }, settings.DownloadTimeout, checksums);
        IdxFileSet files;
        if (world is null)
        {
            files = acquirer.Acquire(settings.DataFolder, settings.Dataset);
        }
        else
        {
            IdxFileSet? fetched = root ? acquirer.Acquire(settings.DataFolder, settings.Dataset) : null;
            world.Agree("data ready");
            files = fetched ?? acquirer.Acquire(settings.DataFolder, settings.Dataset);
        }

        var data = MnistData.Load(files, acquirer.Source, checksums);
        log($"Data: {data.Train.Count:N0} training and {data.Test.Count:N0} test images, each file checked against {checksums.Description} checksums; source: {data.Source}.");
        return data;
    }
}
