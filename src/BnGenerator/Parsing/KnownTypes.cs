using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Parsing;

/// <summary>The TorchSharp and BnGen types the parser recognizes, looked up once per parse by metadata name.</summary>
internal sealed class KnownTypes
{
    public const string BatchNormalizedAttribute = "BnGen.BatchNormalizedAttribute";
    public const string BatchNormAttribute = "BnGen.BatchNormAttribute";
    public const string NoBatchNormAttribute = "BnGen.NoBatchNormAttribute";
    public const string ComponentNameAttribute = "TorchSharp.Utils.ComponentNameAttribute";
    public const string BatchNormalizedModule = "BnGen.BatchNormalizedModule";

    /// <summary>The assembly of BnGen's runtime: members its base class declares are the generated members' own.</summary>
    public const string RuntimeAssembly = "BnRuntime";

    private KnownTypes(Compilation compilation)
    {
        TensorModule = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module`2");
        Module = compilation.GetTypeByMetadataName("TorchSharp.torch+nn+Module");
        Tensor = compilation.GetTypeByMetadataName("TorchSharp.torch+Tensor");
        Parameter = compilation.GetTypeByMetadataName("TorchSharp.Modules.Parameter");
        TorchNn = compilation.GetTypeByMetadataName("TorchSharp.torch+nn");
        RuntimeBase = compilation.GetTypeByMetadataName(BatchNormalizedModule);
    }

    /// <summary>BnGen.BatchNormalizedModule, the optional base class that implements fusion and checkpoint rules once.</summary>
    public INamedTypeSymbol? RuntimeBase { get; }

    /// <summary>torch.nn.Module&lt;T, TResult&gt;, or null when TorchSharp is not referenced.</summary>
    public INamedTypeSymbol? TensorModule { get; }

    /// <summary>torch.nn.Module, the base of every module.</summary>
    public INamedTypeSymbol? Module { get; }

    /// <summary>torch.Tensor.</summary>
    public INamedTypeSymbol? Tensor { get; }

    /// <summary>TorchSharp.Modules.Parameter.</summary>
    public INamedTypeSymbol? Parameter { get; }

    /// <summary>The static class torch.nn whose factory methods (Linear, Conv2d, ...) build layers.</summary>
    public INamedTypeSymbol? TorchNn { get; }

    public static KnownTypes From(Compilation compilation) => new(compilation);

    /// <summary>Whether <paramref name="type"/> is or derives from Module&lt;Tensor, Tensor&gt;.</summary>
    public bool IsTensorModule(ITypeSymbol? type)
    {
        if (TensorModule is null || Tensor is null)
            return false;
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, TensorModule)
                && current.TypeArguments.Length == 2
                && SymbolEqualityComparer.Default.Equals(current.TypeArguments[0], Tensor)
                && SymbolEqualityComparer.Default.Equals(current.TypeArguments[1], Tensor))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="type"/> is or derives from <paramref name="baseType"/>.</summary>
    public static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol? baseType)
    {
        if (baseType is null)
            return false;
        for (var current = type as INamedTypeSymbol; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, baseType))
                return true;
        }

        return false;
    }

    /// <summary>Whether <paramref name="type"/> is declared by TorchSharp itself (its modules, Module, Tensor).</summary>
    public static bool IsTorchSharpType(INamedTypeSymbol type) =>
        type.ContainingAssembly?.Name == "TorchSharp";
}
