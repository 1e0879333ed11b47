using System.ComponentModel;
using System.IO;
using System.Linq;
using System.Reflection;

namespace BnGen.Tests;

/// <summary>
/// The public surface is tracked by the build (PublicApiAnalyzers: src/*/PublicAPI.*.txt, an unlisted change is error
/// RS0016/RS0017). What the build does not track is which public members are there only for generated code and
/// hidden from IntelliSense; this pins that list.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Only_the_members_generated_code_alone_calls_are_hidden_from_IntelliSense()
    {
        var hidden = typeof(BatchNormSite).Assembly.GetExportedTypes()
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetCustomAttribute<EditorBrowsableAttribute>()?.State == EditorBrowsableState.Never)
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}")
            .Order()
            .ToList();

        Assert.Equal(new[] { "BatchNormNetwork.RequireLayer" }, hidden);
    }

    [Fact]
    public void Every_package_tracks_its_public_API()
    {
        foreach (string project in new[] { "BnRuntime", "BnGen.PyTorch", "BnGen.Mpi" })
        {
            string unshipped = Repository.File("src", project, "PublicAPI.Unshipped.txt");
            Assert.True(File.Exists(Repository.File("src", project, "PublicAPI.Shipped.txt")) && File.Exists(unshipped), $"{project} has no PublicAPI files");
            Assert.True(File.ReadAllLines(unshipped).Length > 1, $"{project}'s PublicAPI.Unshipped.txt lists nothing");
        }
    }
}
