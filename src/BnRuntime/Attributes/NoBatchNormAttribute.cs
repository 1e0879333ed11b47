using System;

namespace BnGen;

/// <summary>
/// On a Linear or Conv layer field of a <see cref="BatchNormalizedAttribute"/> class: no batch-normalization
/// site after this layer. The layer still runs in <c>forward</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Field, Inherited = false, AllowMultiple = false)]
public sealed class NoBatchNormAttribute : Attribute
{
}
