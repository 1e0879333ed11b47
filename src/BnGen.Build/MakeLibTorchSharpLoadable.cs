// Why this task exists: TorchSharp 0.107.0 ships libLibTorchSharp.so built with GCC 13, which records a need for
// GLIBCXX_3.4.32 (for std::ios_base_library_init(), a symbol GCC 13 references only to force that
// dependency; no relocation uses it). Debian 12 and Ubuntu 22.04 ship libstdc++ up to GLIBCXX_3.4.30, so the
// dynamic loader refuses the library. Marking that one version need "weak" (VER_FLG_WEAK) in the copy in
// the build output tells the loader to accept a libstdc++ that lacks it; nothing else in the file changes.

using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace BnGen.Build;

/// <summary>
/// MSBuild task: marks libLibTorchSharp.so's need for GLIBCXX_3.4.32 weak in the given output copies when the
/// host's libstdc++ lacks that version. Writes through a temporary file and a rename, so a hard-linked copy
/// (and so the NuGet cache behind it) is never modified.
/// </summary>
public sealed class MakeLibTorchSharpLoadable : Task
{
    public const string Library = "libstdc++.so.6";
    public const string Version = "GLIBCXX_3.4.32";

    /// <summary>The copies of libLibTorchSharp.so in a build or publish output.</summary>
    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    /// <summary>auto (patch when the host's libstdc++ lacks the version), always, or off.</summary>
    public string Mode { get; set; } = "auto";

    /// <summary>Overrides the libstdc++ that auto mode inspects (tests and unusual hosts).</summary>
    public string? HostLibStdCxxPath { get; set; }

    public override bool Execute()
    {
        string mode = (Mode ?? "auto").Trim().ToLowerInvariant();
        if (mode == "off" || Files.Length == 0)
            return true;
        if (mode != "auto" && mode != "always")
        {
            Log.LogError($"BnGen: BnGenLibTorchSharpCompat is '{Mode}'; expected auto, always or off.");
            return false;
        }

        if (mode == "auto")
        {
            string? host = string.IsNullOrEmpty(HostLibStdCxxPath) ? HostLibStdCxx.Locate() : HostLibStdCxxPath;
            if (host is null)
            {
                Log.LogMessage(MessageImportance.Low, "BnGen: no libstdc++.so.6 found on this host; libLibTorchSharp.so left as shipped.");
                return true;
            }

            try
            {
                if (HostLibStdCxx.Defines(host, Version))
                {
                    Log.LogMessage(MessageImportance.Low, $"BnGen: {host} defines {Version}; libLibTorchSharp.so left as shipped.");
                    return true;
                }
            }
            catch (Exception e) when (e is ElfFormatException || e is IOException || e is UnauthorizedAccessException)
            {
                Log.LogError($"BnGen: cannot read the host's libstdc++ at {host}: {e.Message}");
                return false;
            }
        }

        bool ok = true;
        foreach (var item in Files)
            ok &= PatchOne(item.ItemSpec);
        return ok;
    }

    private bool PatchOne(string path)
    {
        try
        {
            byte[] bytes = File.ReadAllBytes(path);
            var result = ElfVersionNeeds.MarkWeak(bytes, Library, Version);
            switch (result)
            {
                case WeakMarkResult.Marked:
                    ReplaceFile(path, bytes);
                    Log.LogMessage(MessageImportance.Normal, $"BnGen: marked {Version} weak in {path} so that it loads with this host's libstdc++.");
                    break;
                case WeakMarkResult.AlreadyWeak:
                    Log.LogMessage(MessageImportance.Low, $"BnGen: {path} already loads with this host's libstdc++.");
                    break;
                default:
                    Log.LogMessage(MessageImportance.Low, $"BnGen: {path} does not need {Version}; left unchanged.");
                    break;
            }

            return true;
        }
        catch (Exception e) when (e is ElfFormatException || e is IOException || e is UnauthorizedAccessException)
        {
            Log.LogError($"BnGen: cannot make {path} loadable on this host: {e.Message}");
            return false;
        }
    }

    /// <summary>
    /// Writes beside the target and renames over it (File.Replace is a rename on Unix), so a hard-linked
    /// copy gets a new file of its own and whatever it was linked to is never written.
    /// </summary>
    internal static void ReplaceFile(string path, byte[] bytes)
    {
        string temporary = path + ".bngen-" + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Replace(temporary, path, destinationBackupFileName: null);
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }
}
