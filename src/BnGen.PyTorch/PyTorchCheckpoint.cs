using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BnGen.PyTorch.Reading;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace BnGen.PyTorch;

/// <summary>
/// Reads and writes PyTorch's <c>torch.save(model.state_dict())</c> files for TorchSharp networks, BnGen's above all.
/// Reading is BnGen's own, for files you did not make: a pickle machine that calls nothing and allocates nothing
/// before the file's structure has been checked against the network (see <see cref="LoadPyTorch{T}(T, string, bool)"/>); a refused load
/// changes nothing, and a loaded network stays trainable (PyBridge's <c>load_py</c> copies each tensor's pickled
/// <c>requires_grad</c>, false in every saved state_dict). Writing is TorchSharp.PyBridge's <c>save_py</c>.
/// </summary>
public static class PyTorchCheckpoint
{
    /// <summary>Loads the PyTorch checkpoint at <paramref name="path"/> into <paramref name="network"/>, all or nothing.</summary>
    /// <remarks>
    /// The file is read as untrusted: its pickle may use only what a state_dict uses (no global is called), and its
    /// keys, shapes, fusion and storage sizes are checked against the network before a storage is read, so the
    /// memory a load takes is bounded by the network's own size. Values are not checked: NaN or a negative
    /// running variance loads, as in PyTorch. Other dtypes are cast to the network's, as PyTorch does.
    /// </remarks>
    /// <param name="network">The network; a [BatchNormalized] network also has its fusion state checked.</param>
    /// <param name="path">A file written by <c>torch.save(model.state_dict(), path)</c> (PyTorch 1.6 or later).</param>
    /// <param name="strict">Whether the checkpoint's keys must be exactly the network's (PyTorch's <c>strict=True</c>).</param>
    /// <returns><paramref name="network"/>.</returns>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a PyTorch state_dict, or is malformed; the message says where. Nothing was loaded.</exception>
    /// <exception cref="InvalidOperationException">Keys, shapes or fusion differ; the message names them. Nothing was loaded.</exception>
    public static T LoadPyTorch<T>(this T network, string path, bool strict = true)
        where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No PyTorch checkpoint at '{Path.GetFullPath(path)}'.", path);

        using var stream = File.OpenRead(path);
        return Load(network, stream, strict, $"'{Path.GetFullPath(path)}'");
    }

    /// <summary>Loads a PyTorch checkpoint from <paramref name="stream"/> into <paramref name="network"/>, all or nothing,
    /// with the checks of <see cref="LoadPyTorch{T}(T, string, bool)"/>.</summary>
    /// <param name="network">The network; a [BatchNormalized] network also has its fusion state checked.</param>
    /// <param name="stream">A seekable stream holding what <c>torch.save(model.state_dict(), f)</c> wrote, from its start.</param>
    /// <param name="strict">Whether the checkpoint's keys must be exactly the network's (PyTorch's <c>strict=True</c>).</param>
    /// <returns><paramref name="network"/>.</returns>
    /// <exception cref="ArgumentException">The stream cannot seek (a zip archive is read from its end).</exception>
    /// <exception cref="InvalidDataException">The stream is not a PyTorch state_dict, or is malformed; the message says where. Nothing was loaded.</exception>
    /// <exception cref="InvalidOperationException">Keys, shapes or fusion differ; the message names them. Nothing was loaded.</exception>
    public static T LoadPyTorch<T>(this T network, Stream stream, bool strict = true)
        where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException("A PyTorch checkpoint is a zip archive, read from its end: pass a stream that can seek (copy it into a MemoryStream first).", nameof(stream));
        return Load(network, stream, strict, "The stream");
    }

    private static T Load<T>(T network, Stream stream, bool strict, string source)
        where T : nn.Module
    {
        using var scope = NewDisposeScope();
        var state = network.state_dict();
        var checkpoint = Read(stream, network, state, strict, source);

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

    /// <summary>
    /// Every tensor of the checkpoint the network will load, by key, after every check: the pickle first (bounded by
    /// the network's key count), then keys, shapes and fusion, then each storage's extent and the storages' total size,
    /// and only then the storages themselves, each once however many tensors share it.
    /// </summary>
    private static Dictionary<string, Tensor> Read(Stream stream, nn.Module network, Dictionary<string, Tensor> state, bool strict, string source)
    {
        try
        {
            using var archive = StateDictArchive.Open(stream);
            var entries = archive.ReadEntries(MaxPickleBytes(state.Count));
            CheckFit(network, state, entries, strict, source);

            var loaded = entries.Where(e => state.ContainsKey(e.Key)).ToList();
            long needed = loaded.Sum(e => state[e.Key].NumberOfElements * state[e.Key].ElementSize);
            var storages = loaded.Select(e => e.Tensor.Storage).Distinct().ToList();
            long total = storages.Sum(s => s.Numel * StateDictArchive.ElementSize(s.DType));
            // A tensor saved as a view of a larger one keeps that whole storage; twice the network's state (plus 1 MiB
            // for small networks) allows it, and stops a file that declares storages far beyond what it loads.
            if (total > 2 * needed + (1 << 20))
                throw new InvalidDataException($"its storages hold {total} bytes for tensors that need {needed}");

            var bytes = storages.ToDictionary(s => s, archive.ReadStorage);
            return loaded.ToDictionary(e => e.Key, e => View(bytes[e.Tensor.Storage], e.Key, e.Tensor), StringComparer.Ordinal);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{source} is not a PyTorch state_dict checkpoint (torch.save(model.state_dict(), path)), or is damaged: {e.Message}. Nothing was loaded.", e);
        }
    }

    /// <summary>A state_dict pickle takes about 150 bytes per tensor; this allows 2 KiB each and 4 MiB besides.</summary>
    private static int MaxPickleBytes(int keys) => (4 << 20) + 2048 * keys;

    /// <summary>The tensor as a view of its storage, once its extent is checked to lie inside it.</summary>
    private static Tensor View(Tensor storage, string key, TensorRef tensor)
    {
        Int128 last = tensor.Offset;
        bool empty = false;
        for (int d = 0; d < tensor.Size.Length; d++)
        {
            empty |= tensor.Size[d] == 0;
            last += (Int128)(tensor.Size[d] - 1) * tensor.Stride[d];
        }

        if (!empty && last >= tensor.Storage.Numel)
            throw new InvalidDataException($"'{key}' reaches element {last} of storage '{tensor.Storage.Key}', which holds {tensor.Storage.Numel}");
        return empty ? storage.new_empty(tensor.Size) : storage.as_strided(tensor.Size, tensor.Stride, tensor.Offset);
    }

    private static void CheckFit(nn.Module network, Dictionary<string, Tensor> state, IReadOnlyList<(string Key, TensorRef Tensor)> entries, bool strict, string source)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (key, tensor) in entries)
        {
            if (!shapes.TryAdd(key, tensor.Size))
                throw new InvalidDataException($"it holds the key '{key}' twice");
        }

        BatchNormNetwork.CheckCheckpoint(network, shapes.Keys);
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
                $"{source} does not fit {network.GetType().Name}: {string.Join("; ", problems.Take(10))}{(problems.Count > 10 ? $"; and {problems.Count - 10} more" : "")}. Nothing was loaded.");
        }
    }
}
