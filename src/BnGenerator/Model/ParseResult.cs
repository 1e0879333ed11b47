namespace BnGen.Generator.Model;

/// <summary>What parsing one [BatchNormalized] class yields: a network to emit (unless an error stops it) and diagnostics.</summary>
internal sealed record ParseResult(NetworkSpec? Network, EquatableArray<DiagnosticInfo> Diagnostics);
