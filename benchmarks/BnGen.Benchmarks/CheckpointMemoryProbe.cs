using System;
using System.IO;
using System.Linq;
using BnGen.TestSupport;
using BnGen.TestSupport.ResNet;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Benchmarks;

/// <summary>
/// Peak resident memory of reading a ResNet-18 checkpoint (TorchSharp's .dat, 44.8 MB of tensors): run with
/// `-- checkpoint-memory peek-before|peek|load`, one mode per process. The peak is VmHWM after writing 5 to
/// /proc/self/clear_refs, so it counts this operation only.
/// <list type="bullet">
/// <item><c>peek-before</c>: how a generated network's <c>load</c> read the keys ahead until 2026-11-30 — TorchSharp's
/// <c>TensorExtensionMethods.Load(reader, skip: true)</c> per entry, which builds a zero tensor of each entry's size.</item>
/// <item><c>peek</c>: today's <c>BatchNormNetwork.CheckCheckpoint</c> (header read, fit checked).</item>
/// <item><c>load</c>: a whole <c>load</c> of the generated ResNet-18, check included.</item>
/// </list>
/// </summary>
public static class CheckpointMemoryProbe
{
    public static int Run(string mode)
    {
        using var network = new ResNet18BN();
        string path = Path.Combine(Path.GetTempPath(), $"bngen-resnet18-{Environment.ProcessId}.dat");
        network.save(path);
        try
        {
            long size = new FileInfo(path).Length;
            GC.Collect();
            long baseline = PeakMemory.ResetAndRead();
            using (var reader = new BinaryReader(File.OpenRead(path)))
            {
                switch (mode)
                {
                    case "peek-before":
                        long entries = reader.Read7BitEncodedInt64(); // TorchSharp writes the count as LEB128, the same bytes
                        for (long i = 0; i < entries; i++)
                        {
                            reader.ReadString();
                            TensorExtensionMethods.Load(reader, skip: true).Dispose();
                        }

                        break;
                    case "peek":
                        BatchNormNetwork.CheckCheckpoint(network, reader);
                        break;
                    case "load":
                        network.load(reader);
                        break;
                    default:
                        Console.Error.WriteLine($"checkpoint-memory: unknown mode '{mode}'; use peek-before, peek or load");
                        return 2;
                }
            }

            long peak = PeakMemory.Read() - baseline;
            Console.WriteLine($"checkpoint-memory {mode}: ResNet-18 checkpoint of {size / 1048576.0:F1} MB; peak resident memory +{peak / 1048576.0:F1} MB over the process before reading it");
            return 0;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
