namespace BnGen.Generator.Model;

/// <summary>Names of members the emitter adds to a [BatchNormalized] class; the parser keeps users' members off them.</summary>
internal static class GeneratedMemberNames
{
    public const string Initialize = "InitializeBatchNorm";
    public const string Fuse = "FuseBatchNorm";
    public const string IsFused = "IsBatchNormFused";
}
