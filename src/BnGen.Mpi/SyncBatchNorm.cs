using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BnGen.Mpi;

/// <summary>
/// Synchronized batch normalization for a whole network, like PyTorch's <c>convert_sync_batchnorm</c>: every
/// <see cref="BatchNormSite"/> in the module tree — a generated network's sites, sites in your own forward, in
/// nested blocks or in a <c>Sequential</c> — normalizes in training with the statistics of the global batch
/// (every rank's slice), and its backward sums the statistics' gradients over the ranks. Eval mode is unchanged
/// and communicates nothing.
/// </summary>
public static class SyncBatchNorm
{
    /// <summary>
    /// Converts every site of <paramref name="network"/>, then checks with every rank that they converted the same
    /// sites (paths and widths). Call it on every rank, before <see cref="DataParallel"/>'s first step.
    /// </summary>
    /// <returns>How many sites now synchronize.</returns>
    /// <exception cref="NotSupportedException">The tree holds a TorchSharp <c>BatchNorm1d/2d/3d</c>, which cannot be
    /// synchronized (its statistics live inside ATen's kernel); the message names its path. Nothing was converted.</exception>
    /// <exception cref="InvalidOperationException">A site is folded for inference. Nothing was converted.</exception>
    /// <exception cref="MpiMismatchException">The ranks' networks differ; every rank throws and no site was converted.</exception>
    public static int Convert(nn.Module network, MpiWorld world)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(world);
        var sites = SitesOf(network);

        var signature = new StringBuilder();
        foreach (var (path, site) in sites)
            signature.Append(path).Append(':').Append(site.NumFeatures).Append(';');
        // The fingerprint covers every path and width; the widths follow for people (the label may cut them short).
        string widths = string.Join(",", sites.Select(s => s.Site.NumFeatures));
        world.Agree($"SyncBatchNorm.Convert {Fingerprint(signature.ToString())[..8]}: {sites.Count} sites, C={widths}");

        foreach (var (path, site) in sites)
            site.StatisticsReducer = new MpiStatisticsReducer(world, path);
        return sites.Count;
    }

    internal static List<(string Path, BatchNormSite Site)> SitesOf(nn.Module network)
    {
        CpuOnly.Require(network, "SyncBatchNorm.Convert");
        var sites = new List<(string, BatchNormSite)>();
        foreach (var (path, module) in network.named_modules())
        {
            switch (module)
            {
                case BatchNormSite site when site.IsFolded:
                    throw new InvalidOperationException($"Site '{path}' is folded for inference (FuseBatchNorm); a fused network has no batch statistics to synchronize. Convert the unfused network.");
                case BatchNormSite site:
                    sites.Add((path, site));
                    break;
                case BatchNorm1d or BatchNorm2d or BatchNorm3d:
                    throw new NotSupportedException($"'{path}' is TorchSharp's {module.GetType().Name}, whose statistics ATen computes inside one kernel, so they cannot be synchronized; use a BnGen site there ([BatchNormalized] or new BatchNormSite(...)). Nothing was converted.");
            }
        }

        return sites;
    }

    // A short, stable fingerprint of the site layout, so the agreement label fits the header.
    private static string Fingerprint(string text)
    {
        ulong hash = 14695981039346656037UL;
        foreach (char c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }

        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }
}
