namespace BnGen.Generator.Model;

/// <summary>A type that encloses the network class, written out again as a partial declaration.</summary>
/// <param name="Keyword">class, struct, record, record struct or interface.</param>
/// <param name="Identifier">The type's name as C# code writes it (escaped with @ where it is a keyword).</param>
internal sealed record ContainingTypeSpec(string Keyword, string Identifier);
