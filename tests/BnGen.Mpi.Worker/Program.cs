using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using BnGen.TestSupport.Article;
using TorchSharp;
using static TorchSharp.torch;

namespace BnGen.Mpi.Worker;

/// <summary>
/// Usage: BnGen.Mpi.Worker scenario=train|mismatch-width|mismatch-collectives|convert-some|die|stall|throw key=value...
/// train: net=simple|conv|resnet dtype=float32|float64 slices=5,3,8 steps=5 sync=true|false out=DIR
///   [recompute=CumulativeAverage|Population]: then BatchNormStatistics.Recompute over three batches of different
///   sizes and means, each split as the slices are, against one process on the whole batches.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var options = args.Select(a => a.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        torch.set_num_threads(1);
        return MpiWorld.Run(world =>
        {
            // The launcher reports a dead process by PID; this line maps it to a rank, as a training log would.
            Console.Error.WriteLine($"rank {world.Rank} of {world.Size}: pid {Environment.ProcessId} on {world.ProcessorName}");
            switch (options["scenario"])
            {
                case "train": Train(world, options); break;
                case "mismatch-width": MismatchedWidth(world); break;
                case "mismatch-collectives": MismatchedCollectives(world); break;
                case "convert-some": ConvertedOnSomeRanks(world); break;
                case "mismatch-gradients": MismatchedGradients(world); break;
                case "die": DieMidTraining(world, options); break;
                case "stall": StallMidTraining(world); break;
                case "throw": ThrowMidTraining(world); break;
                default: throw new ArgumentException($"unknown scenario {options["scenario"]}");
            }

            return 0;
        });
    }

    private static void Train(MpiWorld world, Dictionary<string, string> options)
    {
        string net = options["net"];
        var dtype = options["dtype"] == "float64" ? ScalarType.Float64 : ScalarType.Float32;
        int[] slices = options["slices"].Split(',').Select(int.Parse).ToArray();
        if (slices.Length != world.Size)
            throw new ArgumentException($"{slices.Length} slices for {world.Size} ranks");
        int steps = int.Parse(options["steps"]);
        bool sync = bool.Parse(options["sync"]);
        int total = slices.Sum();
        int start = slices.Take(world.Rank).Sum();
        int mine = slices[world.Rank];

        // Different seeds per rank: DataParallel must make the starting points equal, not the seed.
        torch.manual_seed(100 + world.Rank);
        nn.Module<Tensor, Tensor> model = Create(net);
        nn.Module<Tensor, Tensor> reference = Create(net);
        model.to(dtype);
        reference.to(dtype);
        int converted = sync ? SyncBatchNorm.Convert(model, world) : 0;
        long[] imageShape = net == "resnet" ? [3, 32, 32] : [1, 28, 28];
        int classes = net == "resnet" ? 1000 : 10;
        using var parallel = new DataParallel(model, world);
        reference.load_state_dict(model.state_dict());

        var optimizer = torch.optim.SGD(model.parameters(), 0.1);
        var referenceOptimizer = torch.optim.SGD(reference.parameters(), 0.1);
        var comparison = new Comparison();
        model.train();
        reference.train();
        for (int step = 0; step < steps; step++)
        {
            using var scope = torch.NewDisposeScope();
            torch.manual_seed(1000 + step);
            var images = torch.randn([total, .. imageShape], dtype: dtype) * 0.5 + 0.1;
            var labels = torch.randint(0, classes, total, dtype: int64);

            var expected = reference.forward(images);
            nn.functional.cross_entropy(expected, labels).backward();

            var output = model.forward(images.narrow(0, start, mine));
            var loss = nn.functional.cross_entropy(output, labels.narrow(0, start, mine)) * parallel.LossScale(mine);
            loss.backward();
            parallel.AverageGradients();

            comparison.Add("outputs", expected.narrow(0, start, mine), output);
            // Relative to the step's largest gradient: a Linear bias feeding a site has a zero gradient in exact
            // arithmetic (the site subtracts the mean), so its own magnitude is rounding noise.
            double gradientScale = reference.parameters().Max(p => p.grad!.abs().max().to(ScalarType.Float64).item<double>());
            foreach (var (name, parameter) in reference.named_parameters())
                comparison.Add("gradients", parameter.grad!, model.get_parameter(name)!.grad!, gradientScale);

            optimizer.step();
            referenceOptimizer.step();
            // Both ways of clearing gradients: in place, so they stay views into DataParallel's buffer and backward
            // accumulates there, and set to null, so the next average copies them in.
            if (step % 2 == 0)
                optimizer.zero_grad();
            else
                model.zero_grad();
            referenceOptimizer.zero_grad();
            foreach (var (name, parameter) in reference.named_parameters())
                comparison.Add("parameters", parameter, model.get_parameter(name)!);
            CompareBuffers(reference, model, comparison, "num_batches_tracked", "running statistics");
        }

        if (options.TryGetValue("recompute", out string? recompute))
            Recompute(Enum.Parse<BatchNormRecomputation>(recompute), model, reference, slices, world.Rank, imageShape, dtype, comparison);

        // Eval: running statistics only, no communication; identical on every rank.
        model.eval();
        reference.eval();
        torch.manual_seed(5);
        using (torch.no_grad())
        {
            var probe = torch.randn([4, .. imageShape], dtype: dtype);
            comparison.Add("eval outputs", reference.forward(probe), model.forward(probe));
        }

        string path = Path.Combine(options["out"], $"rank{world.Rank}.json");
        var report = new Dictionary<string, object>
        {
            ["converted_sites"] = converted,
            ["differences"] = comparison.Categories.ToDictionary(c => c.Key, c => new[] { c.Value.MaxAbsolute, c.Value.MaxRelative }),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(report));
    }

    /// <summary>
    /// Recomputes the statistics of the synchronized <paramref name="model"/> over this rank's slices of three global
    /// batches (1×, 2× and 3× the slices, with different means), and of <paramref name="reference"/> over the whole
    /// batches, and compares every batch norm buffer: on a synchronized network both modes are the global ones.
    /// </summary>
    private static void Recompute(BatchNormRecomputation mode, nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor> reference, int[] slices, int rank, long[] imageShape, ScalarType dtype, Comparison comparison)
    {
        var whole = new List<Tensor>();
        var mine = new List<Tensor>();
        for (int b = 1; b <= 3; b++)
        {
            torch.manual_seed(2000 + b);
            var batch = torch.randn([slices.Sum() * b, .. imageShape], dtype: dtype) * b + 0.3 * b;
            whole.Add(batch);
            mine.Add(batch.narrow(0, slices.Take(rank).Sum() * b, slices[rank] * b));
        }

        BatchNormStatistics.Recompute(reference, whole, mode);
        BatchNormStatistics.Recompute(model, mine, mode);
        CompareBuffers(reference, model, comparison, "recomputed num_batches_tracked", "recomputed statistics");
    }

    /// <summary>Every buffer of <paramref name="model"/> against <paramref name="reference"/>'s: counters exactly, statistics within rounding.</summary>
    private static void CompareBuffers(nn.Module reference, nn.Module model, Comparison comparison, string counters, string statistics)
    {
        foreach (var (name, buffer) in reference.named_buffers())
        {
            var actual = model.get_buffer(name)!;
            if (buffer.dtype == ScalarType.Int64)
                comparison.AddExact(counters, buffer.item<long>(), actual.item<long>());
            else
                comparison.Add(statistics, buffer, actual);
        }
    }

    private static nn.Module<Tensor, Tensor> Create(string net) => net switch
    {
        "simple" => new SimpleNetBN(),
        "conv" => new ConvNetBN(),
        "resnet" => new BnGen.TestSupport.ResNet.ResNet18BN(),
        _ => throw new ArgumentException($"unknown net {net}"),
    };

    private static void MismatchedWidth(MpiWorld world)
    {
        // Rank 1's hidden layer is wider: the sites' statistics could not be combined.
        long width = world.Rank == 1 ? 7 : 5;
        var network = nn.Sequential(("fc1", nn.Linear(6, width)), ("fc1_bn", new BatchNormSite("fc1_bn", width)), ("relu", nn.ReLU()), ("fc2", nn.Linear(width, 2)));
        SyncBatchNorm.Convert(network, world);
        new DataParallel(network, world);
        throw new InvalidOperationException("Convert accepted networks of different widths");
    }

    /// <summary>
    /// Rank 0 sums 3 values, rank 1 gathers 2 — the collectives whose data starts together with the agreement check.
    /// Both must refuse, leave their buffers as they were, and refuse the world's next collective.
    /// </summary>
    private static void MismatchedCollectives(MpiWorld world)
    {
        var buffer = world.Rank == 0 ? torch.tensor(new[] { 1.0, 2.0, 3.0 }) : torch.tensor(new[] { 4.0, 5.0 });
        var before = buffer.clone();
        try
        {
            if (world.Rank == 0)
                world.AllReduceSum(buffer, "three values");
            else
                world.AllGather(buffer, "two values");
            throw new InvalidOperationException("mismatched collectives completed");
        }
        catch (MpiMismatchException error)
        {
            Console.Error.WriteLine($"rank {world.Rank} refused: {error.Message}");
        }

        if (!buffer.eq(before).all().item<bool>())
            throw new InvalidOperationException($"rank {world.Rank}: the buffer changed after a refused collective");
        try
        {
            world.Agree("after the mismatch");
            throw new InvalidOperationException("a failed world ran another collective");
        }
        catch (MpiException error)
        {
            Console.Error.WriteLine($"rank {world.Rank} refused again: {error.Message.Split(';')[0]}");
        }

        Console.Error.WriteLine($"rank {world.Rank}: buffer unchanged");
    }

    /// <summary>
    /// One averaged step (the gradients become views into DataParallel's buffer), then a second backward after which
    /// rank 1 has no gradient for fc3.bias: both ranks must refuse the average and keep their gradients as they were.
    /// </summary>
    private static void MismatchedGradients(MpiWorld world)
    {
        torch.manual_seed(1);
        var network = new SimpleNetBN();
        using var parallel = new DataParallel(network, world);
        var optimizer = torch.optim.SGD(network.parameters(), 0.1);
        network.forward(torch.randn(4, 1, 28, 28)).sum().backward();
        parallel.AverageGradients();
        optimizer.step();
        optimizer.zero_grad();
        network.forward(torch.randn(4, 1, 28, 28)).sum().backward();
        if (world.Rank == 1)
            network.get_parameter("fc3.bias")!.grad = null;
        var before = network.named_parameters().Where(p => p.parameter.grad is not null).ToDictionary(p => p.name, p => p.parameter.grad!.clone());
        try
        {
            parallel.AverageGradients();
            throw new InvalidOperationException("gradients of different parameters were averaged");
        }
        catch (MpiMismatchException error)
        {
            Console.Error.WriteLine($"rank {world.Rank} refused: {error.Message}");
        }

        foreach (var (name, parameter) in network.named_parameters())
        {
            bool had = before.TryGetValue(name, out var expected);
            var gradient = parameter.grad;
            if (had != gradient is not null || (gradient is not null && !gradient.eq(expected!).all().item<bool>()))
                throw new InvalidOperationException($"rank {world.Rank}: the gradient of '{name}' changed after a refused average");
        }

        Console.Error.WriteLine($"rank {world.Rank}: {before.Count} gradients unchanged");
    }

    private static void ConvertedOnSomeRanks(MpiWorld world)
    {
        torch.manual_seed(1);
        var network = new SimpleNetBN();
        if (world.Rank == 0)
            SyncBatchNorm.Convert(network, world);
        using var parallel = new DataParallel(network, world);
        network.forward(torch.randn(4, 1, 28, 28)).sum().backward();
        parallel.AverageGradients();
        throw new InvalidOperationException("a network converted on rank 0 only trained without an error");
    }

    private static void DieMidTraining(MpiWorld world, Dictionary<string, string> options) =>
        TrainWithFault(world, int.MaxValue, step =>
        {
            if (step != 2 || world.Rank != 1)
                return;
            Console.Error.WriteLine($"rank 1: dying at step {step}");
            Console.Error.Flush();
            if (options.GetValueOrDefault("how") == "kill")
                Process.GetCurrentProcess().Kill();
            Environment.Exit(9);
        });

    private static void ThrowMidTraining(MpiWorld world) =>
        TrainWithFault(world, 10, step =>
        {
            if (step == 2 && world.Rank == 1)
                throw new InvalidDataException("batch 2 of shard 1 is corrupt"); // any failure of the user's own code
        });

    private static void StallMidTraining(MpiWorld world) =>
        TrainWithFault(world, 10, step =>
        {
            if (step == 2 && world.Rank == 1)
                Thread.Sleep(TimeSpan.FromMinutes(5)); // alive, but not taking part
        });

    /// <summary>Synchronized data-parallel steps of SimpleNetBN, with <paramref name="fault"/> run before each.</summary>
    private static void TrainWithFault(MpiWorld world, int steps, Action<int> fault)
    {
        torch.manual_seed(1);
        var network = new SimpleNetBN();
        SyncBatchNorm.Convert(network, world);
        using var parallel = new DataParallel(network, world);
        for (int step = 0; step < steps; step++)
        {
            fault(step);
            using var scope = torch.NewDisposeScope();
            network.forward(torch.randn(4, 1, 28, 28)).sum().backward();
            parallel.AverageGradients();
        }
    }
}
