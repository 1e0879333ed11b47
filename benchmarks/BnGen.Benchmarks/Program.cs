using System;
using System.Linq;
using BenchmarkDotNet.Running;
using BnGen.Benchmarks;

// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- -filter '*'        all benchmarks
// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- -filter '*' -j short   the short mode
// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- memory [site|module] [steps]   RSS after 1,000 vs 100,000 steps
if (args.Length > 0 && args[0] == "memory")
{
    string implementation = args.Length > 1 ? args[1] : "site";
    int steps = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
    return MemoryProbe.Run(steps, implementation);
}

// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- interleaved [rounds]   site vs module, alternating in one process
if (args.Length > 0 && args[0] == "interleaved")
    return InterleavedComparison.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000);

// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- networks [rounds]   generated vs hand-written networks, with and without a caller scope, interleaved
if (args.Length > 0 && args[0] == "networks")
    return InterleavedNetworks.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 300);

// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- resnet [rounds]   BnGen's ResNet-18 vs TorchVision's, training and (fused) eval, interleaved
if (args.Length > 0 && args[0] == "resnet")
    return InterleavedResNet.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40);

// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- network-memory mlp|conv generated|handwritten [steps]   RSS of a loop without a dispose scope
if (args.Length > 2 && args[0] == "network-memory")
    return NetworkMemoryProbe.Run(args[1], args[2], args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20_000);

// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- torchvision-fused [rounds]   TorchVision's resnet18/mobilenet_v2 fused vs unfused, eval, interleaved
if (args.Length > 0 && args[0] == "torchvision-fused")
    return InterleavedTorchVisionFusion.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40);

// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- checkpoint-memory peek-before|peek|load   peak RSS of reading a ResNet-18 checkpoint
if (args.Length > 1 && args[0] == "checkpoint-memory")
    return CheckpointMemoryProbe.Run(args[1]);

// dotnet run -c Release --project benchmarks/BnGen.Benchmarks -- sync-compute [rounds] [batch]   a synchronized site's own cost (loopback reducer) vs a local one, training steps, interleaved
if (args.Length > 0 && args[0] == "sync-compute")
{
    int rounds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000;
    int batch = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 64;
    return SynchronizedSiteCompute.Run(rounds, batch);
}

// mpirun.mpich -np 1|2 dotnet benchmarks/BnGen.Benchmarks/bin/Release/net10.0/linux-x64/BnGen.Benchmarks.dll distributed mlp|conv|resnet [global batch] [rounds] [warm-up rounds]
if (args.Length > 1 && args[0] == "distributed")
{
    int batch = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 128;
    int rounds = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 400;
    int warmUp = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 200;
    return DistributedSteps.Run(args[1], batch, rounds, warmUp);
}

// mpirun.mpich -np 2 dotnet benchmarks/BnGen.Benchmarks/bin/Release/net10.0/linux-x64/BnGen.Benchmarks.dll allreduce [float32 elements] [rounds]   an all-reduce with no waiting (ResNet-18's gradients by default)
if (args.Length > 0 && args[0] == "allreduce")
{
    long elements = args.Length > 1 ? long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : AllReduceCost.ResNet18Parameters();
    int rounds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 50;
    return AllReduceCost.Run(elements, rounds);
}

var summaries = BenchmarkSwitcher.FromAssembly(typeof(SiteBenchmarks).Assembly).Run(args);
return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
