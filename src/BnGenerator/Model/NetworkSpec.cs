namespace BnGen.Generator.Model;

/// <summary>
/// Everything the emitter needs to write one network's partial class: plain values only (no symbols,
/// syntax or locations), so that the incremental pipeline can compare it and skip unchanged networks.
/// </summary>
/// <param name="Namespace">The containing namespace, or null for the global namespace.</param>
/// <param name="TypeName">The class name.</param>
/// <param name="ContainingTypes">Enclosing types, outermost first.</param>
/// <param name="HasUserConstructor">The class declares an instance constructor: it calls InitializeBatchNorm() itself.</param>
/// <param name="Layers">Layer fields in declaration order, with their sites.</param>
internal sealed record NetworkSpec(
    string? Namespace,
    string TypeName,
    EquatableArray<ContainingTypeSpec> ContainingTypes,
    bool HasUserConstructor,
    EquatableArray<LayerSpec> Layers)
{
    /// <summary>Namespace.Outer.Inner.Type, for the hint name and messages.</summary>
    public string FullName
    {
        get
        {
            var builder = new System.Text.StringBuilder();
            if (Namespace is not null)
                builder.Append(Namespace).Append('.');
            foreach (var containing in ContainingTypes)
                builder.Append(containing.Name).Append('.');
            return builder.Append(TypeName).ToString();
        }
    }
}
