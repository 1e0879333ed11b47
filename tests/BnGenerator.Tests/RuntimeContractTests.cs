using System;
using System.IO;
using System.Linq;
using System.Reflection;
using BnGen.Generator.Diagnostics;
using BnGen.Generator.Emit;
using BnGen.Generator.Model;
using BnGen.Generator.Parsing;
using static TorchSharp.torch;

namespace BnGen.Generator.Tests;

/// <summary>
/// The generator names runtime types, methods, keys and defaults by string (it does not reference BnRuntime).
/// Each such string is checked here against the runtime itself, so a rename on one side fails a test.
/// </summary>
public sealed class RuntimeContractTests
{
    private static readonly Assembly Runtime = typeof(BatchNormSite).Assembly;

    private static Type RuntimeType(string globalName) =>
        Runtime.GetType(globalName.Replace("global::", ""), throwOnError: true)!;

    [Theory]
    [InlineData("Linear")]
    [InlineData("Conv1d")]
    [InlineData("Conv2d")]
    [InlineData("Conv3d")]
    public void Every_entry_point_is_a_public_Tensor_method_of_BatchNormSite(string layerKind)
    {
        var kind = Enum.Parse<LayerKind>(layerKind);
        var method = typeof(BatchNormSite).GetMethod(RuntimeContract.EntryPoint(kind), new[] { typeof(Tensor) });
        Assert.NotNull(method);
        Assert.Equal(typeof(Tensor), method!.ReturnType);
    }

    [Fact]
    public void Runtime_types_the_emitter_names_exist()
    {
        Assert.Equal(typeof(BatchNormSite), RuntimeType(RuntimeContract.Site));
        Assert.Equal(typeof(BatchNormFolding), RuntimeType(RuntimeContract.Folding));
        Assert.Equal(typeof(BatchNormFusion), RuntimeType(RuntimeContract.Fusion));
        Assert.Equal(typeof(GeneratedNetworkSupport), RuntimeType(RuntimeContract.Support));
        Assert.Equal(typeof(IBatchNormFusable), RuntimeType(RuntimeContract.FusableInterface));
        Assert.Equal(GeneratedNetworkSupport.FusedMarkerKey, RuntimeContract.FusedMarkerKey);
        Assert.Equal(GeneratedMemberNames.IsFused, nameof(IBatchNormFusable.IsBatchNormFused));
        Assert.Equal(GeneratedMemberNames.Fuse, nameof(IBatchNormFusable.FuseBatchNorm));
    }

    [Fact]
    public void The_generator_defaults_are_the_runtime_defaults()
    {
        var defaults = SiteOptions.PyTorchDefaults;
        var attribute = new BatchNormalizedAttribute();
        Assert.Equal(BatchNormDefaults.Momentum, defaults.Momentum);
        Assert.Equal(BatchNormDefaults.Epsilon, defaults.Epsilon);
        Assert.Equal(attribute.Momentum, defaults.Momentum);
        Assert.Equal(attribute.Epsilon, defaults.Epsilon);
        Assert.Equal(attribute.Affine, defaults.Affine);
        Assert.Equal(attribute.TrackRunningStats, defaults.TrackRunningStats);
        Assert.Equal(attribute.CumulativeAverage, defaults.CumulativeAverage);

        var parameters = typeof(BatchNormSite).GetConstructors().Single().GetParameters().ToDictionary(p => p.Name!);
        Assert.Equal(defaults.Momentum, parameters["momentum"].DefaultValue);
        Assert.Equal(defaults.Epsilon, parameters["eps"].DefaultValue);
        Assert.Equal(defaults.Affine, parameters["affine"].DefaultValue);
        Assert.Equal(defaults.TrackRunningStats, parameters["trackRunningStats"].DefaultValue);
        Assert.Equal(defaults.CumulativeAverage, parameters["cumulativeAverage"].DefaultValue);
    }

    [Fact]
    public void Every_option_the_parser_reads_is_a_property_of_the_attributes()
    {
        foreach (string name in OptionReader.OptionNames.All)
        {
            Assert.NotNull(typeof(BatchNormAttribute).GetProperty(name));
            if (name != OptionReader.OptionNames.Name)
                Assert.NotNull(typeof(BatchNormalizedAttribute).GetProperty(name));
        }

        Assert.Equal(KnownTypes.BatchNormalizedAttribute, typeof(BatchNormalizedAttribute).FullName);
        Assert.Equal(KnownTypes.BatchNormAttribute, typeof(BatchNormAttribute).FullName);
        Assert.Equal(KnownTypes.NoBatchNormAttribute, typeof(NoBatchNormAttribute).FullName);
    }

    [Fact]
    public void Every_diagnostic_has_a_unique_id_a_README_section_and_a_release_entry()
    {
        string root = RepositoryRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        string releases = File.ReadAllText(Path.Combine(root, "src", "BnGenerator", "AnalyzerReleases.Unshipped.md"));
        var ids = DiagnosticDescriptors.All.Select(d => d.Id).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        var fields = typeof(DiagnosticDescriptors).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(Microsoft.CodeAnalysis.DiagnosticDescriptor));
        Assert.Equal(fields.Count(), ids.Count);
        foreach (var id in ids)
        {
            Assert.Contains("### " + id, readme);
            Assert.Contains(id + " |", releases);
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BnGen.sln")))
                return dir.FullName;
        }

        throw new InvalidOperationException("BnGen.sln not found above " + AppContext.BaseDirectory);
    }
}
