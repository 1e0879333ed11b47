using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Checks that code generated for <see cref="BatchNormalizedAttribute"/> classes calls. Each refuses bad input
/// before anything changes, with a message that names the network, the layer or site, and what to do.
/// </summary>
/// <remarks>Not meant to be called by hand; the names are a contract with the generator, pinned by a test.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class GeneratedNetworkSupport
{
    /// <summary>
    /// The state_dict key a network gains in <c>FuseBatchNorm()</c>. Its checkpoints hold folded weights, which
    /// must not meet batch norm a second time: the key makes an unfused network (BnGen's, or PyTorch's class with
    /// <c>strict=True</c>) refuse them by name.
    /// </summary>
    public const string FusedMarkerKey = "bngen_fused";

    /// <summary>Throws when a layer field is still null as InitializeBatchNorm() sizes sites from the layers.</summary>
    /// <exception cref="InvalidOperationException"><paramref name="layer"/> is null.</exception>
    public static void RequireLayer([NotNull] object? layer, string network, string field)
    {
        if (layer is null)
        {
            throw new InvalidOperationException(
                $"{network}.InitializeBatchNorm(): layer '{field}' is null. Assign every layer field, in its initializer or in the constructor, before calling InitializeBatchNorm().");
        }
    }

    /// <summary>
    /// Throws when a training batch has fewer than two samples, before any site changes — unless
    /// <paramref name="site"/> combines its statistics across replicas (<see cref="BatchNormSite.StatisticsReducer"/>):
    /// then this process's slice may hold a single sample, and the site itself refuses a global batch of one.
    /// </summary>
    /// <exception cref="ArgumentException">The input has no batch dimension or a batch of one.</exception>
    public static void RequireTrainingBatch(Tensor input, string network, BatchNormSite site)
    {
        ArgumentNullException.ThrowIfNull(site);
        if (site.StatisticsReducer is null)
            RequireBatchOfTwo(input, network, site.SiteName);
    }

    private static void RequireBatchOfTwo(Tensor input, string network, string site)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Dimensions >= 1 && input.size(0) >= 2)
            return;
        string shape = "[" + string.Join(", ", Array.ConvertAll(input.shape, d => d.ToString(CultureInfo.InvariantCulture))) + "]";
        throw new ArgumentException(
            $"{network}: training needs a batch of 2 or more, since batch-norm site '{site}' normalizes each feature over the batch; got input {shape}. Nothing was changed. Use a larger batch, or call eval() to run one sample.",
            nameof(input));
    }

    /// <summary>Adds <see cref="FusedMarkerKey"/> to the network's state_dict, as the last entry.</summary>
    public static void MarkFused(nn.Module network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!network.has_buffer(FusedMarkerKey))
            network.register_buffer(FusedMarkerKey, torch.tensor(1L, ScalarType.Int64));
    }

    /// <summary>
    /// Refuses a checkpoint whose fusion differs from the network's: fused weights in an unfused network would
    /// meet batch norm twice; unfused weights in a fused one would meet it never.
    /// </summary>
    /// <param name="keys">The checkpoint's keys, or null when they cannot be read ahead (a stream that cannot seek).</param>
    /// <param name="networkIsFused">Whether the network loading it has run FuseBatchNorm().</param>
    /// <param name="network">The network's class name, for the message.</param>
    /// <exception cref="InvalidOperationException">The fusion differs.</exception>
    public static void CheckCheckpointFusion(IEnumerable<string>? keys, bool networkIsFused, string network)
    {
        if (keys is null)
            return;
        bool checkpointIsFused = false;
        foreach (var key in keys)
        {
            if (key == FusedMarkerKey)
            {
                checkpointIsFused = true;
                break;
            }
        }

        if (checkpointIsFused && !networkIsFused)
        {
            throw new InvalidOperationException(
                $"The checkpoint was saved after FuseBatchNorm() (it has the key '{FusedMarkerKey}'): its layers already hold the folded batch norm, and loading it into an unfused {network} would apply batch norm twice. Nothing was loaded. Call eval() and FuseBatchNorm() on the network first, then load it; to train, load a checkpoint saved before fusing.");
        }

        if (!checkpointIsFused && networkIsFused)
        {
            throw new InvalidOperationException(
                $"{network} was folded by FuseBatchNorm(), but the checkpoint was saved unfused (no key '{FusedMarkerKey}'): its layers would run without their batch norm. Nothing was loaded. Load it into a new {network}, then call eval() and FuseBatchNorm().");
        }
    }

    /// <summary>
    /// The keys of a checkpoint written by TorchSharp's <c>save</c>, read ahead without moving the reader, or null
    /// when the stream cannot seek or does not look like a checkpoint (the load itself then reports the problem).
    /// </summary>
    public static IReadOnlyList<string>? PeekCheckpointKeys(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var stream = reader.BaseStream;
        if (!stream.CanSeek)
            return null;
        long start = stream.Position;
        try
        {
            long count = ReadUnsignedLeb128(reader);
            if (count < 0 || count > stream.Length)
                return null;
            var keys = new List<string>((int)Math.Min(count, 4096));
            for (long i = 0; i < count; i++)
            {
                keys.Add(reader.ReadString());
                // Reads the header and seeks past the data; the tensor it returns is empty.
                TensorExtensionMethods.Load(reader, skip: true).Dispose();
            }

            return keys;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException or NotImplementedException or InvalidOperationException or OverflowException)
        {
            return null;
        }
        finally
        {
            stream.Position = start;
        }
    }

    // TorchSharp's save writes the entry count as unsigned LEB128 (its codec is internal).
    private static long ReadUnsignedLeb128(BinaryReader reader)
    {
        long result = 0;
        for (int shift = 0; shift < 63; shift += 7)
        {
            byte b = reader.ReadByte();
            result |= (long)(b & 0x7f) << shift;
            if ((b & 0x80) == 0)
                return result;
        }

        throw new FormatException("The checkpoint's entry count is not a valid LEB128 number.");
    }
}
