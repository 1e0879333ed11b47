using System;
using System.Runtime.InteropServices;

namespace BnGen.Tests.NativeCompat;

/// <summary>link(2), to reproduce an output folder whose files are hard links into the NuGet cache.</summary>
internal static class HardLink
{
    public static bool TryCreate(string linkPath, string existingPath) =>
        !OperatingSystem.IsWindows() && Link(existingPath, linkPath) == 0;

    [DllImport("libc", EntryPoint = "link")]
    private static extern int Link(string existing, string newPath);
}
