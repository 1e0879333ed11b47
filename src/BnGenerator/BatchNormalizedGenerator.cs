using Microsoft.CodeAnalysis;

namespace BnGen.Generator;

/// <summary>Pipeline of the [BatchNormalized] generator (work in progress: see issue 4).</summary>
[Generator(LanguageNames.CSharp)]
public sealed class BatchNormalizedGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}
