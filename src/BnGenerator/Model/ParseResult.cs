using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Model;

/// <summary>
/// What parsing one [BatchNormalized] class yields: a network to emit (unless an error stops it) and the
/// diagnostics to report. The two travel apart after this step: the network is plain values and caches; the
/// diagnostics keep their real source locations, so that <c>#pragma warning disable</c> and editor squiggles
/// work (a location rebuilt from a file path is treated by the compiler as external and never suppressed).
/// </summary>
internal sealed record ParseResult(NetworkSpec? Network, EquatableArray<Diagnostic> Diagnostics);
