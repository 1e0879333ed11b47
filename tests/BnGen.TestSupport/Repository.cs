using System;
using System.IO;

namespace BnGen.TestSupport;

/// <summary>The repository the tests run from: its root is the folder above the test's output that holds BnGen.sln.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>A path under the root, from its parts.</summary>
    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "BnGen.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("BnGen.sln not found above " + AppContext.BaseDirectory);
    }
}
