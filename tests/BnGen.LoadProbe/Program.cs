using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using BnGen.LoadProbe;
using BnGen.TestSupport;
using BnGen.TestSupport.Article;
using BnGen.PyTorch;
using static TorchSharp.torch;

// Usage: BnGen.LoadProbe <load|load-unseekable|pytorch|pytorch-lenient> <file>
// Prints {"outcome": "loaded" | "refused", "exception", "message", "unchanged", "milliseconds", "peakMegabytes"} and
// exits 0; exits 2 on bad arguments. Any other exit (a signal, an unhandled exception) is what the tests look for.
if (args.Length != 2 || !new[] { "load", "load-unseekable", "pytorch", "pytorch-lenient" }.Contains(args[0]))
{
    Console.Error.WriteLine("usage: BnGen.LoadProbe <load|load-unseekable|pytorch|pytorch-lenient> <file>");
    return 2;
}

string mode = args[0], path = args[1];
using var network = new SimpleNetBN();
var before = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
byte[]? bytes = mode == "load-unseekable" ? File.ReadAllBytes(path) : null;

// The peak is measured from here: libtorch, the network and its copy are already in memory.
long baseline = PeakMemory.ResetAndRead();
var clock = Stopwatch.StartNew();
Exception? error = null;
try
{
    switch (mode)
    {
        case "load": network.load(path); break;
        case "load-unseekable": network.load(new UnseekableStream(bytes!)); break;
        case "pytorch": network.LoadPyTorch(path); break;
        case "pytorch-lenient": network.LoadPyTorch(path, strict: false); break;
    }
}
catch (Exception e)
{
    error = e;
}

clock.Stop();
long peak = PeakMemory.Read() - baseline;
bool unchanged = network.state_dict().All(kv => before.TryGetValue(kv.Key, out var old) && old.dtype == kv.Value.dtype && old.shape.SequenceEqual(kv.Value.shape) && old.contiguous().bytes.SequenceEqual(kv.Value.contiguous().bytes));
Console.WriteLine(JsonSerializer.Serialize(new
{
    outcome = error is null ? "loaded" : "refused",
    exception = error?.GetType().FullName,
    message = error?.Message,
    unchanged,
    milliseconds = clock.Elapsed.TotalMilliseconds,
    peakMegabytes = peak / (1024.0 * 1024.0),
}));
return 0;
