using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace BnGen.PyTorch;

/// <summary>
/// Reads and writes PyTorch's <c>torch.save(model.state_dict())</c> files for TorchSharp networks, BnGen's above all,
/// on TorchSharp.PyBridge's pickle reader and writer. Compared with PyBridge's own <c>load_py</c>, a load here checks
/// everything first and changes nothing when it refuses (wrong keys or shapes, a fused checkpoint in an unfused
/// network or the other way round, a file that is not a checkpoint), and leaves the network trainable: <c>load_py</c>
/// copies each tensor's pickled <c>requires_grad</c>, which is false in every state_dict PyTorch saves.
/// </summary>
public static class PyTorchCheckpoint
{
    /// <summary>Loads the PyTorch checkpoint at <paramref name="path"/> into <paramref name="network"/>.</summary>
    /// <param name="network">The network; a [BatchNormalized] network also has its fusion state checked.</param>
    /// <param name="path">A file written by <c>torch.save(model.state_dict(), path)</c>.</param>
    /// <param name="strict">Whether the checkpoint's keys must be exactly the network's (PyTorch's <c>strict=True</c>).</param>
    /// <returns><paramref name="network"/>.</returns>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a PyTorch state_dict.</exception>
    /// <exception cref="InvalidOperationException">Keys, shapes or fusion differ; the message names them. Nothing was loaded.</exception>
    public static T LoadPyTorch<T>(this T network, string path, bool strict = true)
        where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No PyTorch checkpoint at '{Path.GetFullPath(path)}'.", path);

        using var scope = NewDisposeScope();
        var checkpoint = Read(path);
        BatchNormNetwork.CheckCheckpoint(network, checkpoint.Keys);
        CheckKeysAndShapes(network, checkpoint, strict, path);

        // TorchSharp's load_state_dict copies values in place (under no_grad), so every parameter keeps its
        // requires_grad; PyBridge's load_py would set the pickled flag, false in every saved state_dict.
        network.load_state_dict(checkpoint, strict);
        return network;
    }

    /// <summary>Saves <paramref name="network"/>'s state_dict where PyTorch's <c>torch.load</c> reads it.</summary>
    /// <returns><paramref name="network"/>.</returns>
    public static T SavePyTorch<T>(this T network, string path)
        where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(network);
        network.save_py(path);
        return network;
    }

    /// <summary>Every tensor of the checkpoint, by key.</summary>
    private static Dictionary<string, Tensor> Read(string path)
    {
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not (FileNotFoundException or UnauthorizedAccessException))
        {
            throw new InvalidDataException($"'{Path.GetFullPath(path)}' is not a PyTorch state_dict checkpoint (torch.save(model.state_dict(), path)): {e.Message}", e);
        }

        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is not string key || entry.Value is not Tensor tensor)
                throw new InvalidDataException($"'{Path.GetFullPath(path)}' is not a PyTorch state_dict: entry '{entry.Key}' is not a tensor.");
            tensors[key] = tensor;
        }

        return tensors;
    }

    private static void CheckKeysAndShapes(nn.Module network, Dictionary<string, Tensor> checkpoint, bool strict, string path)
    {
        var shapes = checkpoint.ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
        var state = network.state_dict();
        var problems = new List<string>();
        if (strict)
        {
            problems.AddRange(state.Keys.Where(k => !shapes.ContainsKey(k)).Select(k => $"missing '{k}'"));
            problems.AddRange(shapes.Keys.Where(k => !state.ContainsKey(k)).Select(k => $"unexpected '{k}'"));
        }

        foreach (var (key, shape) in shapes)
        {
            if (state.TryGetValue(key, out var target) && !target.shape.SequenceEqual(shape))
                problems.Add($"'{key}' is [{string.Join(", ", shape)}] in the checkpoint but [{string.Join(", ", target.shape)}] in {network.GetType().Name}");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                $"'{Path.GetFullPath(path)}' does not fit {network.GetType().Name}: {string.Join("; ", problems.Take(10))}{(problems.Count > 10 ? $"; and {problems.Count - 10} more" : "")}. Nothing was loaded.");
        }
    }
}
