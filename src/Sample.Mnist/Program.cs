using System;
using System.CommandLine;
using System.IO;
using BnGen.Sample.Mnist;
using BnGen.Sample.Mnist.Data;
using BnGen.Sample.Mnist.Models;
using BnGen.Sample.Mnist.Output;
using BnGen.Sample.Mnist.Training;

var data = new Option<string>("--data") { Description = "Folder with the IDX files (plain or TorchVision layout); fetched data is cached here.", DefaultValueFactory = _ => "data" };
var dataset = new Option<string>("--dataset") { Description = "mnist, or fashion-mnist (60,000/10,000 images).", DefaultValueFactory = _ => "mnist" };
dataset.AcceptOnlyFromAmong("mnist", "fashion-mnist");
var model = new Option<string>("--model") { Description = "mlp: SimpleNet vs SimpleNetBN (784-64-128-10); conv: two Conv2d + pooling + two Linear; paper: Ioffe & Szegedy (2015) section 4.1, 3x100 sigmoid units, batch 60.", DefaultValueFactory = _ => "mlp" };
model.AcceptOnlyFromAmong("mlp", "conv", "paper");
var steps = new Option<int>("--steps") { Description = $"Training steps of --model paper (the paper ran 50,000).", DefaultValueFactory = _ => PaperExperiment.DefaultSteps };
var epochs = new Option<int>("--epochs") { Description = "Passes over the training set (the article trains for 20).", DefaultValueFactory = _ => 20 };
var batchSize = new Option<int>("--batch-size") { Description = "Images per training step (at least 2: batch norm needs a batch).", DefaultValueFactory = _ => 64 };
var learningRate = new Option<double>("--lr") { Description = "SGD learning rate.", DefaultValueFactory = _ => 0.1 };
var momentum = new Option<double>("--momentum") { Description = "SGD momentum (0 for plain SGD).", DefaultValueFactory = _ => 0.0 };
var seed = new Option<long>("--seed") { Description = "Seed for weights and batch order: the same seed gives the same numbers.", DefaultValueFactory = _ => 1 };
// One thread by default: two are barely faster idle and several times slower beside one busy process
// (benchmarks/cli-under-load.sh; the figures are in src/Sample.Mnist/README.md, "Threads").
var threads = new Option<int>("--threads") { Description = "CPU threads for TorchSharp (1 stays fast when other processes share the cores).", DefaultValueFactory = _ => 1 };
var output = new Option<string>("--out") { Description = "Folder for the plots, metrics.csv and summary.json.", DefaultValueFactory = _ => "out" };
var checksums = new Option<string?>("--checksums") { Description = "An md5sum file (md5sum *-ubyte) for IDX files of your own; by default every file must be the data set's known original." };
var timeout = new Option<double>("--download-timeout") { Description = "Seconds to wait for the standard download before the offline fallback.", DefaultValueFactory = _ => 5 };
var plain = new Option<bool>("--plain") { Description = "Plain progress lines even in a terminal." };
var distributed = new Option<bool>("--distributed") { Description = "Run under mpirun (MPICH): each process trains its share of every batch, batch norm synchronized across them; rank 0 writes the outputs." };

RequirePositive(epochs, "--epochs");
RequirePositive(steps, "--steps");
RequirePositive(threads, "--threads");
batchSize.Validators.Add(result =>
{
    if (TryValue(result, out int value) && value < 2)
        result.AddError("--batch-size must be at least 2: batch normalization needs more than one value per channel.");
});
learningRate.Validators.Add(result =>
{
    if (TryValue(result, out double value) && (!(value > 0) || double.IsInfinity(value)))
        result.AddError("--lr must be a positive number.");
});
momentum.Validators.Add(result =>
{
    if (TryValue(result, out double value) && !(value >= 0 && value < 1))
        result.AddError("--momentum must be in [0, 1).");
});
timeout.Validators.Add(result =>
{
    if (TryValue(result, out double value) && !(value > 0))
        result.AddError("--download-timeout must be a positive number of seconds.");
});

var root = new RootCommand("Trains a plain network and the same network with BnGen batch normalization side by side on MNIST, and plots what batch norm does.")
{
    data, dataset, model, epochs, batchSize, learningRate, momentum, seed, threads, output, checksums, timeout, plain, steps, distributed,
};

root.Validators.Add(result =>
{
    if (result.GetResult(steps) is { Implicit: false } && result.GetValue(model) != "paper")
        result.AddError("--steps applies to --model paper; the mlp and conv pairs train for --epochs.");
    if (result.GetValue(distributed) && result.GetValue(model) == "paper")
        result.AddError("--distributed trains the mlp and conv pairs; --model paper runs in one process.");
});

root.SetAction(parse =>
{
    var settings = new ExperimentSettings(
        parse.GetValue(data)!,
        parse.GetValue(dataset) == "fashion-mnist" ? DatasetKind.FashionMnist : DatasetKind.Mnist,
        parse.GetValue(model) switch { "conv" => ModelKind.Conv, "paper" => ModelKind.Paper, _ => ModelKind.Mlp },
        new TrainingOptions(parse.GetValue(epochs), parse.GetValue(batchSize), parse.GetValue(learningRate), parse.GetValue(momentum), parse.GetValue(seed)),
        parse.GetValue(threads),
        parse.GetValue(output)!,
        TimeSpan.FromSeconds(parse.GetValue(timeout)),
        parse.GetValue(plain) || Console.IsOutputRedirected,
        parse.GetValue(checksums));
    try
    {
        // Everything the run will need is checked before the first step: a bad --out found after training loses the run.
        OutputFolderCheck.ThrowIfUnwritable(settings.OutputFolder);
        // The default data folder is created to cache what is fetched; a folder named on the command line that does
        // not exist is more likely a typo than a request for a new cache.
        if (parse.GetResult(data) is { Implicit: false } && !Directory.Exists(settings.DataFolder))
            throw new DataUnavailableException($"--data '{Path.GetFullPath(settings.DataFolder)}' does not exist. Create it (fetched data is cached there), or fix the path.");
        if (settings.Model == ModelKind.Paper)
        {
            PaperExperiment.Run(settings, parse.GetValue(steps), Console.WriteLine);
            return 0;
        }

        if (parse.GetValue(distributed))
            return RunDistributed(settings);

        var summary = Experiment.Run(settings, Console.WriteLine);
        Experiment.PrintTable(summary, settings.OutputFolder);
        return 0;
    }
    catch (Exception e) when (e is IdxFormatException or DataUnavailableException or IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine("error: " + e.Message);
        return 2;
    }
});

return root.Parse(args).Invoke();

// Under mpirun every rank runs this; a failure on any rank ends the job with a message naming the rank.
static int RunDistributed(ExperimentSettings settings) => BnGen.Mpi.MpiWorld.Run(world =>
{
    Console.Error.WriteLine($"rank {world.Rank} of {world.Size}: pid {Environment.ProcessId} on {world.ProcessorName}");
    if (settings.Training.BatchSize < world.Size)
        throw new ArgumentException($"--batch-size {settings.Training.BatchSize} is smaller than the {world.Size} processes: every process needs at least one image per step.");
    var summary = Experiment.Run(settings, world.IsRoot ? Console.WriteLine : _ => { }, world);
    if (world.IsRoot)
        Experiment.PrintTable(summary, settings.OutputFolder);
    return 0;
});

static void RequirePositive(Option<int> option, string name) =>
    option.Validators.Add(result =>
    {
        if (TryValue(result, out int value) && value < 1)
            result.AddError($"{name} must be at least 1.");
    });

// A value that does not parse ("--epochs abc", "--lr inf") is already a parse error that the parser reports;
// asking for it again would throw instead of letting that error through.
static bool TryValue<T>(System.CommandLine.Parsing.OptionResult result, out T value)
{
    try
    {
        value = result.GetValueOrDefault<T>()!;
        return true;
    }
    catch (InvalidOperationException)
    {
        value = default!;
        return false;
    }
}
