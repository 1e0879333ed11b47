using System;
using System.Globalization;
using static TorchSharp.torch;

namespace BnGen;

/// <summary>Checks an input before any work or state change, with messages that name the site and both shapes.</summary>
internal static class BatchNormInputValidation
{
    public static void Validate(string site, Tensor input, BatchNormInputKind kind, long channels, bool training)
    {
        int rank = (int)kind;
        long dimensions = input.Dimensions;
        if (dimensions != rank || input.size(1) != channels)
        {
            throw new ArgumentException(
                $"Batch-norm site '{site}' ({Layer(kind)}) expects input {Expected(kind, channels)}; got {Describe(input)}.",
                nameof(input));
        }

        // PyTorch refuses this too: the batch variance of a single value is 0 and the unbiased one undefined.
        if (training && input.NumberOfElements / channels <= 1)
        {
            throw new ArgumentException(
                $"Batch-norm site '{site}': expected more than 1 value per channel when training, got input {Describe(input)}. Use a batch of 2 or more, or call eval().",
                nameof(input));
        }
    }

    public static string Describe(Tensor input) => $"a {input.Dimensions}-d input {Shape(input.shape)}";

    private static string Layer(BatchNormInputKind kind) => kind switch
    {
        BatchNormInputKind.Dense => "after a Linear layer",
        BatchNormInputKind.Conv1d => "after a Conv1d layer",
        BatchNormInputKind.Conv2d => "after a Conv2d layer",
        _ => "after a Conv3d layer",
    };

    private static string Expected(BatchNormInputKind kind, long channels)
    {
        string c = channels.ToString(CultureInfo.InvariantCulture);
        return kind switch
        {
            BatchNormInputKind.Dense => $"[N, {c}]",
            BatchNormInputKind.Conv1d => $"[N, {c}, L]",
            BatchNormInputKind.Conv2d => $"[N, {c}, H, W]",
            _ => $"[N, {c}, D, H, W]",
        };
    }

    private static string Shape(long[] shape) =>
        "[" + string.Join(", ", Array.ConvertAll(shape, d => d.ToString(CultureInfo.InvariantCulture))) + "]";
}
