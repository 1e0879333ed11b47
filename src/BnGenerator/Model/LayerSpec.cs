namespace BnGen.Generator.Model;

/// <summary>One layer field, in declaration order, and the site that follows it when <see cref="Site"/> is set.</summary>
/// <param name="FieldName">The field's name as PyTorch sees it (e.g. <c>fc1</c>, or <c>class</c> for <c>@class</c>): the registered module name.</param>
/// <param name="FieldIdentifier">The field as C# code writes it (<c>fc1</c>, <c>@class</c>).</param>
/// <param name="Kind">What the declared type tells.</param>
/// <param name="Site">The options of the site after this layer, or null when none follows it.</param>
/// <param name="SiteName">The member and module name of the site after this layer (<c>fc1_bn</c>); null without a site.</param>
/// <param name="Registration">How InitializeBatchNorm() registers the field: as a module, a parameter or a buffer (the last two only with your own forward).</param>
/// <param name="MayBeNull">The field's type is annotated nullable (<c>Linear?</c>): code outside InitializeBatchNorm, which checks it, writes <c>!</c>.</param>
/// <param name="CertainlyAssigned">The field has a non-null initializer and no constructor assigns it: it is there when InitializeBatchNorm() runs, and no null check is written.</param>
/// <remarks>Site names never need escaping: the default ends in <c>_bn</c>, and a chosen one is checked to be a plain identifier.</remarks>
internal sealed record LayerSpec(string FieldName, string FieldIdentifier, LayerKind Kind, SiteOptions? Site, string? SiteName, bool MayBeNull = false, Registration Registration = Registration.Module, bool CertainlyAssigned = false);

/// <summary>How a field is registered, as TorchSharp's RegisterComponents() would.</summary>
internal enum Registration
{
    /// <summary>register_module: a layer or another module.</summary>
    Module,

    /// <summary>register_parameter: a Parameter field.</summary>
    Parameter,

    /// <summary>register_buffer: a Tensor field.</summary>
    Buffer,
}
