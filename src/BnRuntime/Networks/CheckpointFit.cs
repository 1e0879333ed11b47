using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>
/// Checks a checkpoint's entries against the network that is about to load them, so that a load either copies
/// every tensor or refuses before the first one. TorchSharp's <c>load</c> and <c>load_state_dict</c> check key by
/// key while copying: a checkpoint whose third entry has the wrong shape leaves the first two loaded.
/// </summary>
internal static class CheckpointFit
{
    /// <summary>How many problems a refusal lists before it says how many more there are.</summary>
    private const int Listed = 10;

    /// <summary>What the loader that follows will accept.</summary>
    /// <param name="ExactDType">TorchSharp's <c>load</c> refuses another dtype; <c>load_state_dict</c> casts, as PyTorch does.</param>
    /// <param name="SkipExcusesKeys">TorchSharp's strict <c>load</c> refuses an unknown or a missing key even when it
    /// is in <c>skip</c>; <c>load_state_dict</c> excuses it.</param>
    internal readonly record struct Rules(bool ExactDType, bool SkipExcusesKeys);

    internal static readonly Rules Load = new(ExactDType: true, SkipExcusesKeys: false);

    internal static readonly Rules LoadStateDict = new(ExactDType: false, SkipExcusesKeys: true);

    /// <exception cref="InvalidOperationException">An entry does not fit; the message lists them. Nothing was loaded.</exception>
    public static void Check(nn.Module network, IEnumerable<(string Key, ScalarType DType, long[] Shape)> entries, bool strict, IList<string>? skip, Rules rules, string? file = null)
    {
        var state = network.state_dict();
        var skipped = new HashSet<string>(skip ?? Array.Empty<string>(), StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (key, dtype, shape) in entries)
        {
            if (!seen.Add(key))
            {
                problems.Add($"'{key}' appears twice");
                continue;
            }

            if (!state.TryGetValue(key, out var target))
            {
                if (strict && !(rules.SkipExcusesKeys && skipped.Contains(key)))
                    problems.Add($"unexpected '{key}'");
                continue;
            }

            if (skipped.Contains(key))
                continue;
            if (!target.shape.SequenceEqual(shape))
                problems.Add($"'{key}' is [{string.Join(", ", shape)}] in the checkpoint but [{string.Join(", ", target.shape)}] in the network");
            else if (rules.ExactDType && target.dtype != dtype)
                problems.Add($"'{key}' is {dtype} in the checkpoint but {target.dtype} in the network");
        }

        if (strict)
            problems.AddRange(state.Keys.Where(k => !seen.Contains(k) && !(rules.SkipExcusesKeys && skipped.Contains(k))).Select(k => $"missing '{k}'"));

        if (problems.Count > 0)
        {
            string more = problems.Count > Listed ? $"; and {problems.Count - Listed} more" : "";
            throw new InvalidOperationException(
                $"The checkpoint{(file is null ? "" : $" '{file}'")} does not fit {BatchNormNetwork.NameOf(network)}: {string.Join("; ", problems.Take(Listed))}{more}. Nothing was loaded.");
        }
    }
}
