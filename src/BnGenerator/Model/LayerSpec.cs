namespace BnGen.Generator.Model;

/// <summary>One layer field, in declaration order, and the site that follows it when <see cref="Site"/> is set.</summary>
/// <param name="FieldName">The field's name as declared (e.g. <c>fc1</c>).</param>
/// <param name="Kind">What the declared type tells.</param>
/// <param name="Site">The options of the site after this layer, or null when none follows it.</param>
internal sealed record LayerSpec(string FieldName, LayerKind Kind, SiteOptions? Site)
{
    /// <summary>The member and module name of the site after this layer.</summary>
    public string SiteName => FieldName + "_bn";
}
