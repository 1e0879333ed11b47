using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using BnGen.Sample.Mnist.Data;
using BnGen.Sample.Mnist.Models;
using BnGen.Sample.Mnist.Training;

namespace BnGen.Sample.Mnist.Tests;

/// <summary>A short run on synthetic IDX data through the same code as the CLI, and the CLI itself.</summary>
public sealed class EndToEndTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private ExperimentSettings Settings(ModelKind model, int epochs = 2) => new(
        Path.Combine(_folder.Path, "data"),
        DatasetKind.Mnist,
        model,
        new TrainingOptions(epochs, BatchSize: 32, LearningRate: 0.1, Momentum: 0.0, Seed: 3),
        Threads: 1,
        Path.Combine(_folder.Path, "out"),
        DownloadTimeout: TimeSpan.FromSeconds(1),
        PlainOutput: true,
        ChecksumsFile: Path.Combine(_folder.Path, "data", "checksums.md5"));

    [Theory]
    [InlineData(ModelKind.Mlp, "SimpleNet", "SimpleNetBN")]
    [InlineData(ModelKind.Conv, "ConvNet", "ConvNetBN")]
    public void A_short_run_writes_every_output_with_sane_content(ModelKind model, string plainName, string normalizedName)
    {
        SyntheticMnist.WriteFolder(Path.Combine(_folder.Path, "data"), train: 320, test: 100);
        var settings = Settings(model);

        var summary = Experiment.Run(settings, _ => { });

        string output = settings.OutputFolder;
        foreach (string png in new[] { "training-loss.png", "activation-distribution.png" })
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(output, png));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes.Take(8));
            Assert.True(bytes.Length > 10_000, $"{png} is only {bytes.Length} bytes");
        }

        string[] csv = File.ReadAllLines(Path.Combine(output, "metrics.csv"));
        Assert.Equal("record,model,epoch,step,train_loss,running_loss,test_accuracy,seconds", csv[0]);
        Assert.Equal(2 * (20 + 2), csv.Length - 1); // per model: 10 steps x 2 epochs, and 2 epoch rows
        Assert.Contains(csv, line => line.StartsWith($"epoch,{normalizedName},2,20,", StringComparison.Ordinal));

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var results = json.RootElement.GetProperty("results");
        Assert.Equal(new[] { plainName, normalizedName }, results.EnumerateArray().Select(r => r.GetProperty("model").GetString()));
        foreach (var result in results.EnumerateArray())
        {
            double accuracy = result.GetProperty("test_accuracy").GetDouble();
            Assert.InRange(accuracy, 0, 1);
            Assert.True(result.GetProperty("final_train_loss").GetDouble() > 0);
            Assert.True(result.GetProperty("parameters").GetInt64() > 1000);
        }

        Assert.Equal(320, json.RootElement.GetProperty("train_images").GetInt64());
        // The classes are easy: batch norm reaches well above chance in two short epochs.
        Assert.True(summary.Results[1].TestAccuracy > 0.5, $"{normalizedName} reached {summary.Results[1].TestAccuracy:P1}");
    }

    [Fact]
    public void A_trailing_batch_of_one_image_is_dropped_so_batch_norm_can_train()
    {
        // 321 = 10 batches of 32 and one image left over.
        SyntheticMnist.WriteFolder(Path.Combine(_folder.Path, "data"), train: 321, test: 40);
        var settings = Settings(ModelKind.Mlp, epochs: 1);

        Experiment.Run(settings, _ => { });

        string[] csv = File.ReadAllLines(Path.Combine(settings.OutputFolder, "metrics.csv"));
        Assert.Equal(2 * (10 + 1), csv.Length - 1);
        Assert.Contains(csv, line => line.StartsWith("epoch,SimpleNetBN,1,10,", StringComparison.Ordinal));
    }

    [Fact]
    public void The_same_seed_gives_the_same_numbers()
    {
        SyntheticMnist.WriteFolder(Path.Combine(_folder.Path, "data"), train: 128, test: 40);

        var first = Experiment.Run(Settings(ModelKind.Mlp, epochs: 1), _ => { });
        var second = Experiment.Run(Settings(ModelKind.Mlp, epochs: 1), _ => { });

        Assert.Equal(first.Results.Select(r => r.FinalTrainLoss), second.Results.Select(r => r.FinalTrainLoss));
        Assert.Equal(first.Results.Select(r => r.TestAccuracy), second.Results.Select(r => r.TestAccuracy));
    }

    [Theory]
    [InlineData("--batch-size 1", "--batch-size must be at least 2")]
    [InlineData("--epochs 0", "--epochs must be at least 1")]
    [InlineData("--dataset cifar", "cifar")]
    [InlineData("--lr -1", "--lr must be a positive number")]
    [InlineData("--no-such-option", "--no-such-option")]
    public void Bad_arguments_give_a_clear_message_and_a_non_zero_exit(string arguments, string message)
    {
        var (exitCode, output) = RunCli(arguments);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, output);
    }

    [Theory]
    [InlineData("--epochs abc", "'abc'")]
    [InlineData("--batch-size abc", "'abc'")]
    [InlineData("--lr abc", "'abc'")]
    [InlineData("--lr inf", "'inf'")]
    [InlineData("--epochs 1.5", "'1.5'")]
    [InlineData("--epochs 99999999999", "'99999999999'")]
    public void Values_that_do_not_parse_are_a_message_not_a_stack_trace(string arguments, string message)
    {
        var (exitCode, output) = RunCli(arguments);

        Assert.Equal(1, exitCode);
        Assert.Contains(message, output);
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Theory]
    [InlineData("file")]
    [InlineData("file/inside")]
    [InlineData("/proc/bngen-out")]
    public void An_output_folder_that_cannot_be_written_is_refused_before_any_training(string outFolder)
    {
        string data = Path.Combine(_folder.Path, "data");
        SyntheticMnist.WriteFolder(data, train: 40, test: 10);
        File.WriteAllText(Path.Combine(_folder.Path, "file"), "the user's own file");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (exitCode, output) = RunCli($"--data \"{data}\" --checksums \"{Path.Combine(data, "checksums.md5")}\" --out \"{outFolder}\" --epochs 50");

        Assert.Equal(2, exitCode);
        Assert.Contains("--out", output);
        Assert.DoesNotContain("epoch", output, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("the user's own file", File.ReadAllText(Path.Combine(_folder.Path, "file")));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"refused after {clock.Elapsed}");
    }

    [Fact]
    public void An_incomplete_set_of_the_users_IDX_files_is_refused_and_left_untouched()
    {
        string data = Path.Combine(_folder.Path, "data");
        SyntheticMnist.WriteFolder(data, train: 40, test: 10);
        File.Delete(Path.Combine(data, IdxFileSet.TestLabelsName));
        var before = Directory.GetFiles(data).ToDictionary(f => f, File.ReadAllBytes);

        var (exitCode, output) = RunCli($"--data \"{data}\" --checksums \"{Path.Combine(data, "checksums.md5")}\" --out \"{Path.Combine(_folder.Path, "out")}\" --epochs 1 --download-timeout 1");

        Assert.Equal(2, exitCode);
        Assert.Contains("not all four IDX files", output);
        Assert.Contains(IdxFileSet.TrainImagesName, output);
        Assert.Equal(before.Keys.Order(), Directory.GetFiles(data).Order());
        foreach (var (file, bytes) in before)
            Assert.Equal(bytes, File.ReadAllBytes(file));
    }

    [Fact]
    public void A_data_folder_named_on_the_command_line_that_does_not_exist_is_not_created()
    {
        string missing = Path.Combine(_folder.Path, "no-such-folder");

        var (exitCode, output) = RunCli($"--data \"{missing}\" --out \"{Path.Combine(_folder.Path, "out")}\" --epochs 1");

        Assert.Equal(2, exitCode);
        Assert.Contains("does not exist", output);
        Assert.Contains(missing, output);
        Assert.False(Directory.Exists(missing));
    }

    [Fact]
    public void A_diverging_run_says_which_model_and_step_and_leaves_complete_valid_outputs()
    {
        string data = Path.Combine(_folder.Path, "data");
        SyntheticMnist.WriteFolder(data, train: 64, test: 16);
        string output = Path.Combine(_folder.Path, "out");

        var (exitCode, text) = RunCli($"--data \"{data}\" --checksums \"{Path.Combine(data, "checksums.md5")}\" --out \"{output}\" --epochs 2 --batch-size 16 --lr 1e30 --plain");

        Assert.Equal(0, exitCode);
        Assert.Contains("diverged", text);
        Assert.Contains("SimpleNet", text);
        Assert.Matches("from step [0-9]+ on", text);
        foreach (string file in new[] { "summary.json", "metrics.csv", "training-loss.png", "activation-distribution.png" })
            Assert.True(File.Exists(Path.Combine(output, file)), $"{file} missing");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        var diverged = json.RootElement.GetProperty("results").EnumerateArray().Where(r => r.GetProperty("diverged_at_step").ValueKind == System.Text.Json.JsonValueKind.Number).ToList();
        Assert.NotEmpty(diverged);
        Assert.All(diverged, r => Assert.Equal(System.Text.Json.JsonValueKind.Null, r.GetProperty("final_train_loss").ValueKind));
    }

    [Fact]
    public void The_papers_experiment_writes_its_two_figures_and_their_numbers()
    {
        string data = Path.Combine(_folder.Path, "data");
        SyntheticMnist.WriteFolder(data, train: 120, test: 30);
        string output = Path.Combine(_folder.Path, "out");

        var (exitCode, text) = RunCli($"--model paper --steps 40 --data \"{data}\" --checksums \"{Path.Combine(data, "checksums.md5")}\" --out \"{output}\" --plain");

        Assert.True(exitCode == 0, text);
        foreach (string file in new[] { "paper-accuracy.png", "paper-sigmoid-input.png", "paper-metrics.csv", "paper-summary.json" })
            Assert.True(new FileInfo(Path.Combine(output, file)).Length > 0, $"{file} missing or empty");
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "paper-summary.json")));
        Assert.Equal(40, json.RootElement.GetProperty("steps").GetInt32());
        Assert.Equal(60, json.RootElement.GetProperty("batch_size").GetInt32());
        Assert.Equal(new[] { "PaperNet", "PaperNetBN" }, json.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("model").GetString()));
        // Header plus the sampled points (step 0, then up to 40 more) for each of the two networks.
        var rows = File.ReadAllLines(Path.Combine(output, "paper-metrics.csv"));
        Assert.Equal("model,step,test_accuracy,sigmoid_input_p15,sigmoid_input_p50,sigmoid_input_p85", rows[0]);
        Assert.Equal(2 * 41, rows.Length - 1);
    }

    [Fact]
    public void Steps_apply_to_the_papers_experiment_only()
    {
        var (exitCode, output) = RunCli("--steps 100");

        Assert.Equal(1, exitCode);
        Assert.Contains("--steps applies to --model paper", output);
    }

    [Fact]
    public void Distributed_training_refuses_the_papers_experiment_before_touching_MPI()
    {
        var (exitCode, output) = RunCli("--distributed --model paper");

        Assert.Equal(1, exitCode);
        Assert.Contains("--distributed trains the mlp and conv pairs", output);
    }

    [Fact]
    public void Help_lists_the_options()
    {
        var (exitCode, output) = RunCli("--help");

        Assert.Equal(0, exitCode);
        foreach (string option in new[] { "--data", "--dataset", "--model", "--epochs", "--batch-size", "--lr", "--momentum", "--seed", "--threads", "--out" })
            Assert.Contains(option, output);
    }

    [Fact]
    public void Corrupt_data_files_exit_non_zero_naming_the_file()
    {
        string data = Path.Combine(_folder.Path, "data");
        SyntheticMnist.WriteFolder(data, train: 40, test: 10);
        string images = Path.Combine(data, IdxFileSet.TrainImagesName);
        File.WriteAllBytes(images, File.ReadAllBytes(images).AsSpan(0, 1000).ToArray());

        var (exitCode, output) = RunCli($"--data \"{data}\" --checksums \"{Path.Combine(data, "checksums.md5")}\" --out \"{Path.Combine(_folder.Path, "out")}\" --epochs 1");

        Assert.Equal(2, exitCode);
        Assert.Contains(images, output);
        Assert.Contains("truncated", output);
        Assert.False(Directory.Exists(Path.Combine(_folder.Path, "out")));
    }

    [Fact]
    public void A_data_file_that_is_a_fifo_exits_2_naming_it_instead_of_hanging()
    {
        string data = Path.Combine(_folder.Path, "data");
        SyntheticMnist.WriteFolder(data, train: 40, test: 10);
        string labels = Path.Combine(data, IdxFileSet.TestLabelsName);
        File.Delete(labels);
        using (var mkfifo = Process.Start("mkfifo", labels)!)
            Assert.True(mkfifo.WaitForExit(10_000) && mkfifo.ExitCode == 0, "mkfifo failed");

        var (exitCode, output) = RunCli($"--data \"{data}\" --checksums \"{Path.Combine(data, "checksums.md5")}\" --out \"{Path.Combine(_folder.Path, "out")}\" --epochs 1");

        Assert.Equal(2, exitCode);
        Assert.Contains(labels + ": not a regular file (a FIFO)", output);
        Assert.DoesNotContain("   at ", output);
    }

    private (int ExitCode, string Output) RunCli(string arguments)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Sample.Mnist.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _folder.Path,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the CLI did not exit within 2 minutes");
        return (process.ExitCode, stdout + stderr.Result);
    }
}
