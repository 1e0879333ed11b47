using System;

namespace BnGen;

/// <summary>Placeholder until the runtime issue lands.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class BatchNormalizedAttribute : Attribute
{
}
