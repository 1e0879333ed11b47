using System;
using System.Collections.Generic;
using System.IO;

namespace BnGen.Build;

/// <summary>Finds the libstdc++ the dynamic loader would use and tells which versions it defines.</summary>
internal static class HostLibStdCxx
{
    /// <summary>
    /// The directories searched, in the loader's order for a default install: LD_LIBRARY_PATH, then the
    /// multiarch and classic library directories of the common distributions.
    /// </summary>
    public static IEnumerable<string> CandidatePaths()
    {
        var ldLibraryPath = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
        if (!string.IsNullOrEmpty(ldLibraryPath))
        {
            foreach (var dir in ldLibraryPath!.Split(':'))
            {
                if (dir.Length > 0)
                    yield return Path.Combine(dir, "libstdc++.so.6");
            }
        }

        foreach (var dir in new[]
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
            "/usr/lib64", "/lib64", "/usr/lib", "/lib",
        })
        {
            yield return Path.Combine(dir, "libstdc++.so.6");
        }
    }

    /// <summary>The first candidate that exists, or null when none does.</summary>
    public static string? Locate()
    {
        foreach (var path in CandidatePaths())
        {
            if (File.Exists(path))
                return path;
        }

        return null;
    }

    /// <summary>Whether the libstdc++ at <paramref name="path"/> defines <paramref name="version"/>.</summary>
    public static bool Defines(string path, string version)
    {
        foreach (var defined in ElfVersionNeeds.ListDefinitions(File.ReadAllBytes(path)))
        {
            if (defined == version)
                return true;
        }

        return false;
    }
}
