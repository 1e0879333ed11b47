using System.Collections.Generic;
using System.Linq;
using BnGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace BnGen.Generator.Parsing;

/// <summary>
/// Collects one class's diagnostics on their real source locations. A location outside this compilation's
/// source (a member of a referenced assembly) falls back to the [BatchNormalized] attribute, so every
/// diagnostic lands somewhere the user can see and suppress.
/// </summary>
internal sealed class DiagnosticList
{
    private readonly List<Diagnostic> _items = new();
    private readonly Location _fallback;

    public DiagnosticList(Location fallback) => _fallback = fallback;

    public bool HasErrors => _items.Any(d => d.Severity == DiagnosticSeverity.Error);

    public void Add(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
    {
        var where = location is { IsInSource: true } ? location : _fallback;
        _items.Add(Diagnostic.Create(descriptor, where, arguments.Cast<object>().ToArray()));
    }

    public EquatableArray<Diagnostic> ToEquatableArray() => _items.ToEquatableArray();
}
