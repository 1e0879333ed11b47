using System;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using BnGen.Sample.Mnist.Training;
using Spectre.Console;

namespace BnGen.Sample.Mnist.Output;

/// <summary>Plain lines, one per epoch: for redirected output (CI logs, files).</summary>
public sealed class LineProgress : IProgressReporter
{
    public void StartEpoch(int epoch, int epochs, int steps)
    {
    }

    public void Step(double plainLoss, double normalizedLoss)
    {
    }

    public void EndEpoch(int epoch, TrainingHistory plain, TrainingHistory normalized) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch,2}: {plain.Model} loss {plain.EpochTrainLoss[^1]:F4} acc {plain.EpochTestAccuracy[^1]:P2} | {normalized.Model} loss {normalized.EpochTrainLoss[^1]:F4} acc {normalized.EpochTestAccuracy[^1]:P2}"));
}

/// <summary>A Spectre.Console progress bar per epoch, for a terminal.</summary>
public sealed class BarProgress : IProgressReporter, IDisposable
{
    private readonly TaskCompletionSource _finished = new();
    private readonly ManualResetEventSlim _ready = new();
    private ProgressContext? _context;
    private ProgressTask? _task;
    private Task? _display;

    public void StartEpoch(int epoch, int epochs, int steps)
    {
        if (_display is null)
        {
            _display = AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .StartAsync(async context =>
                {
                    _context = context;
                    _ready.Set();
                    await _finished.Task;
                });
            _ready.Wait();
        }

        _task = _context!.AddTask($"epoch {epoch}/{epochs}", maxValue: steps);
    }

    public void Step(double plainLoss, double normalizedLoss) => _task?.Increment(1);

    public void EndEpoch(int epoch, TrainingHistory plain, TrainingHistory normalized)
    {
        if (_task is null)
            return;
        _task.Description = string.Create(CultureInfo.InvariantCulture,
            $"epoch {epoch}: {plain.Model} {plain.EpochTestAccuracy[^1]:P1}, [blue]{normalized.Model} {normalized.EpochTestAccuracy[^1]:P1}[/]");
        _task.StopTask();
    }

    public void Dispose()
    {
        _finished.TrySetResult();
        _display?.GetAwaiter().GetResult();
        _ready.Dispose();
    }
}

/// <summary>No progress output: the ranks other than 0 of a distributed run.</summary>
public sealed class SilentProgress : IProgressReporter
{
    public void StartEpoch(int epoch, int epochs, int steps)
    {
    }

    public void Step(double plainLoss, double normalizedLoss)
    {
    }

    public void EndEpoch(int epoch, TrainingHistory plain, TrainingHistory normalized)
    {
    }
}
