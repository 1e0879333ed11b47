using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Xunit.Abstractions;

namespace BnGen.PyTorch.Tests.Untrusted;

/// <summary>
/// Every hostile checkpoint found when issue 24 attacked the loaders, rebuilt byte by byte and loaded into a fresh
/// generated network (the article's SimpleNetBN, from BnGen.TestSupport) in a process of its own: a load
/// that killed the process or exhausted memory must fail this test, not end the run. Each must end in a managed
/// exception that names the file and what is wrong, within 2 s, with at most 300 MB more memory at its peak than
/// before the load (the network is 0.2 MB), and with the network bit-identical to before. Before the fix: SIGSEGV or
/// SIGABRT from a 9-byte file, 3.6 GB from 13 bytes, 3.6 GB from a 16.9 KB .pt, minutes of CPU from 1 MB, and
/// networks left half-loaded.
/// </summary>
public sealed class HostileFileTests : IDisposable
{
    private const double Seconds = 2;
    private const double Megabytes = 300;
    private const int Float32 = 6, Float64 = 7, Int64 = 4;
    private readonly string _work = Directory.CreateTempSubdirectory("bngen-hostile-").FullName;
    private readonly ITestOutputHelper _output;

    public HostileFileTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>SimpleNetBN's state as a .dat checkpoint: its keys and shapes, every value 0.5 (num_batches_tracked 7).</summary>
    private static List<(string Key, int DType, long[] Shape, byte[] Data)> SimpleNetEntries()
    {
        var entries = new List<(string, int, long[], byte[])>();
        void Float(string key, params long[] shape) =>
            entries.Add((key, Float32, shape, Enumerable.Repeat(BitConverter.GetBytes(0.5f), (int)shape.Aggregate(1L, (a, b) => a * b)).SelectMany(b => b).ToArray()));
        void Site(string name, int width)
        {
            foreach (var part in new[] { "weight", "bias", "running_mean", "running_var" })
                Float($"{name}.{part}", width);
            entries.Add(($"{name}.num_batches_tracked", Int64, Array.Empty<long>(), BitConverter.GetBytes(7L)));
        }

        Float("fc1.weight", 64, 784);
        Float("fc1.bias", 64);
        Float("fc2.weight", 128, 64);
        Float("fc2.bias", 128);
        Float("fc3.weight", 10, 128);
        Float("fc3.bias", 10);
        Site("fc1_bn", 64);
        Site("fc2_bn", 128);
        return entries;
    }

    public static TheoryData<string, string, string> DatFiles() => new()
    {
        // name, expected exception, a fragment of its message
        { "dtype-255", "InvalidDataException", "dtype code 255" },
        { "shape-30000x30000", "InvalidDataException", "more data than" },
        { "rank-2^29", "InvalidDataException", "rank 536870912" },
        { "truncated-in-the-last-entry", "InvalidDataException", "past the end of the file" },
        { "last-entry-another-shape", "InvalidOperationException", "'fc2_bn.num_batches_tracked' is [3] in the checkpoint but []" },
        { "last-entry-float64", "InvalidOperationException", "'fc2_bn.running_var' is Float64 in the checkpoint but Float32" },
        { "unknown-key-last", "InvalidOperationException", "unexpected 'fc4.weight'" },
        { "a-key-twice", "InvalidOperationException", "'fc1.bias' appears twice" },
    };

    private static byte[] DatFile(string name)
    {
        var valid = SimpleNetEntries();
        switch (name)
        {
            case "dtype-255": return new byte[] { 0x01, 0x03, (byte)'z', (byte)'z', (byte)'z', 0xff, 0x01, 0x01, 0x01 };
            case "shape-30000x30000": return new byte[] { 0x01, 0x03, (byte)'z', (byte)'z', (byte)'z', 0x06, 0x02, 0xb0, 0xea, 0x01, 0xb0, 0xea, 0x01 };
            case "rank-2^29": return new byte[] { 0x01, 0x03, (byte)'z', (byte)'z', (byte)'z', 0x06, 0x80, 0x80, 0x80, 0x80, 0x02 };
            case "truncated-in-the-last-entry": { var bytes = Checkpoints.Dat(valid); return bytes[..^3]; }
            case "last-entry-another-shape":
                valid[^1] = (valid[^1].Key, Int64, new long[] { 3 }, new byte[24]);
                return Checkpoints.Dat(valid);
            case "last-entry-float64":
            {
                int i = valid.FindIndex(e => e.Key == "fc2_bn.running_var");
                var last = valid[i];
                valid.RemoveAt(i);
                valid.Add((last.Key, Float64, last.Shape, new byte[last.Data.Length * 2]));
                return Checkpoints.Dat(valid);
            }

            case "unknown-key-last":
                valid[^1] = ("fc4.weight", Float32, new long[] { 1 }, new byte[4]);
                return Checkpoints.Dat(valid);
            case "a-key-twice":
                valid[^1] = valid[1];
                return Checkpoints.Dat(valid);
            default: throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    [Theory]
    [MemberData(nameof(DatFiles))]
    public void A_hostile_dat_file_is_refused_by_name_in_bounded_time_and_memory_and_changes_nothing(string name, string exception, string fragment)
    {
        string file = Write(name + ".dat", DatFile(name));
        foreach (var mode in new[] { "load", "load-unseekable" })
        {
            var report = LoadProbe.Run(mode, file);
            // A stream without a name cannot be named; a file read by load(path) is.
            AssertRefused(report, exception, fragment, mode == "load" ? file : null, $"{name} ({mode})");
        }
    }

    [Fact]
    public void The_valid_dat_file_the_hostile_ones_are_made_from_loads()
    {
        string file = Write("valid.dat", Checkpoints.Dat(SimpleNetEntries()));
        foreach (var mode in new[] { "load", "load-unseekable" })
        {
            var report = LoadProbe.Run(mode, file);
            Assert.True(report.Outcome == "loaded", $"{mode}: {report.Message}");
            Assert.False(report.Unchanged, "the probe must see a load that changes the network");
        }
    }

    public static TheoryData<string, string, string, string> PtFiles() => new()
    {
        // name, mode, expected exception, a fragment of its message
        { "900-keys-from-one-shared-storage", "pytorch", "InvalidOperationException", "does not fit SimpleNetBN: missing 'fc1.bias'" },
        { "900-keys-from-one-shared-storage", "pytorch-lenient", "InvalidDataException", "storages hold 4000000 bytes for tensors that need 200704" },
        { "2^27-None-pushes-deflated", "pytorch", "InvalidDataException", "its data.pkl is 134217731 bytes, more than" },
        { "2^27-None-pushes-declared-100-bytes", "pytorch", "InvalidDataException", "malformed at byte 100: the pickle ends without STOP" },
        { "60000-entries-40000-storages", "pytorch-lenient", "InvalidDataException", "more than" },
        { "os.system", "pytorch", "InvalidDataException", "'os.system', which a state_dict never uses" },
        { "stride-outside-its-storage", "pytorch-lenient", "InvalidDataException", "'fc1.weight' reaches element" },
        { "storage-shorter-than-declared", "pytorch-lenient", "InvalidDataException", "but its entry holds 8 bytes" },
        { "legacy-format", "pytorch", "InvalidDataException", "before PyTorch 1.6" },
    };

    private static byte[] PtFile(string name)
    {
        switch (name)
        {
            case "900-keys-from-one-shared-storage":
            {
                // The pickle names storage "0" once; every tensor after the first reaches it through the memo.
                var pickle = new Pickle().Global("collections", "OrderedDict").Op(')').Op('R').Mark();
                pickle.String("fc1.weight").Tensor("0", 1_000_000, new long[] { 64, 784 }, new long[] { 784, 1 }).Put(1);
                for (int i = 0; i < 899; i++)
                    pickle.String("k" + i).Get(1);
                var bytes = pickle.Op('u').Op('.').ToArray();
                return Checkpoints.Zip(bytes, new[] { ("0", new byte[4_000_000]) }, deflate: true);
            }

            case "2^27-None-pushes-deflated":
            case "2^27-None-pushes-declared-100-bytes":
            {
                var pickle = new byte[(1 << 27) + 3];
                Array.Fill(pickle, (byte)'N');
                pickle[0] = 0x80;
                pickle[1] = 2;
                pickle[^1] = (byte)'.';
                var zip = Checkpoints.Zip(pickle, Array.Empty<(string, byte[])>(), deflate: true);
                return name.EndsWith("100-bytes", StringComparison.Ordinal) ? Checkpoints.DeclareSize(zip, "archive/data.pkl", 100) : zip;
            }

            case "60000-entries-40000-storages":
            {
                var pickle = new Pickle().Global("collections", "OrderedDict").Op(')').Op('R').Mark();
                for (int i = 0; i < 40_000; i++)
                    pickle.String("k" + i).Tensor(i.ToString(), 1, new long[] { 1 }, new long[] { 1 });
                var bytes = pickle.Op('u').Op('.').ToArray();
                return Checkpoints.Zip(bytes, Enumerable.Range(0, 40_000).Select(i => (i.ToString(), new byte[4])), extraEntries: 20_000);
            }

            case "os.system":
                return Checkpoints.Zip(new Pickle().Global("os", "system").Mark().String("touch pwned").Tuple().Op('R').Op('.').ToArray(), Array.Empty<(string, byte[])>());
            case "stride-outside-its-storage":
            {
                var pickle = new Pickle().Global("collections", "OrderedDict").Op(')').Op('R').Mark()
                    .String("fc1.weight").Tensor("0", 50_176, new long[] { 64, 784 }, new long[] { 1_000_000, 1 }).Op('u').Op('.');
                return Checkpoints.Zip(pickle.ToArray(), new[] { ("0", new byte[50_176 * 4]) });
            }

            case "storage-shorter-than-declared":
            {
                var pickle = new Pickle().Global("collections", "OrderedDict").Op(')').Op('R').Mark()
                    .String("fc1.weight").Tensor("0", 50_176, new long[] { 64, 784 }, new long[] { 784, 1 }).Op('u').Op('.');
                return Checkpoints.Zip(pickle.ToArray(), new[] { ("0", new byte[8]) });
            }

            case "legacy-format":
                return new Pickle().Op('N').Op('.').ToArray();
            default: throw new ArgumentOutOfRangeException(nameof(name));
        }
    }

    [Theory]
    [MemberData(nameof(PtFiles))]
    public void A_hostile_pt_file_is_refused_by_name_in_bounded_time_and_memory_and_changes_nothing(string name, string mode, string exception, string fragment)
    {
        string file = Write(name + ".pt", PtFile(name));
        AssertRefused(LoadProbe.Run(mode, file), exception, fragment, file, $"{name} ({mode})");
        Assert.False(File.Exists("pwned"), "the payload ran");
    }

    [Fact]
    public void A_storage_shared_by_many_keys_is_read_once_and_loads_what_the_network_has()
    {
        // The 900-key file again, but the storage is exactly fc1.weight's: a lenient load takes fc1.weight and no more.
        var pickle = new Pickle().Global("collections", "OrderedDict").Op(')').Op('R').Mark();
        pickle.String("fc1.weight").Tensor("0", 50_176, new long[] { 64, 784 }, new long[] { 784, 1 }).Put(1);
        for (int i = 0; i < 899; i++)
            pickle.String("k" + i).Get(1);
        string file = Write("shared.pt", Checkpoints.Zip(pickle.Op('u').Op('.').ToArray(), new[] { ("0", new byte[50_176 * 4]) }, deflate: true));

        var report = LoadProbe.Run("pytorch-lenient", file);

        Assert.True(report.Outcome == "loaded", report.Message);
        Assert.False(report.Unchanged);
        Assert.True(report.PeakMegabytes < 50, $"peak {report.PeakMegabytes:F1} MB for one 0.2 MB tensor");
    }

    private void AssertRefused(LoadProbe.Report report, string exception, string fragment, string? file, string what)
    {
        _output.WriteLine($"{what}: {report.Outcome} in {report.Milliseconds:F1} ms, peak +{report.PeakMegabytes:F1} MB: {report.Message}");
        Assert.True(report.Outcome == "refused", $"{what}: loaded, but should have been refused");
        Assert.Equal("System." + (exception == "InvalidDataException" ? "IO." : "") + exception, report.Exception);
        string message = report.Message ?? "";
        Assert.True(message.Contains(fragment, StringComparison.Ordinal), $"{what}: the message lacks \"{fragment}\": {message}");
        Assert.True(message.Contains("Nothing was loaded", StringComparison.Ordinal), $"{what}: the message does not say nothing was loaded: {message}");
        Assert.True(file is null || message.Contains(file, StringComparison.Ordinal), $"{what}: the message does not name the file: {message}");
        Assert.True(report.Unchanged, $"{what}: the network changed although the load was refused");
        Assert.True(report.Milliseconds < Seconds * 1000, $"{what}: refused after {report.Milliseconds:F0} ms");
        Assert.True(report.PeakMegabytes < Megabytes, $"{what}: {report.PeakMegabytes:F0} MB at the peak");
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_work, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
