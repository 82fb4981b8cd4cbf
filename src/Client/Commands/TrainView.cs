using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using YoloSweep.Trainer.Engine;

namespace YoloSweep.Client.Commands;

/// <summary>What a person sees while `train` runs. On a terminal: Spectre.Console bars for the epochs (with the ETA
/// of the run) and for the batches of this epoch (running losses, instances, ETA of the epoch), and one line per
/// finished epoch above them. In a log (output redirected): plain lines, one per epoch plus a batch line every
/// 10 seconds of a long epoch.</summary>
static class TrainView
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static TrainResult Run(TrainOptions o)
    {
        var title = $"{Path.GetFileNameWithoutExtension(o.Model)}-{o.Scale}";
        AnsiConsole.MarkupLineInterpolated($"[bold]{title}[/] on {o.Data}: {o.Epochs} epochs, batch {o.Batch}, {o.ImgSize} px, {o.Device} → {TrainCommands.Relative(Path.GetFullPath(o.Project))}");
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected) return Plain(o);
        TrainResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .HideCompleted(true)  // a finished epoch's bar gives way to its summary line
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var epochs = ctx.AddTask($"{title} epochs", maxValue: o.Epochs);
                ProgressTask? batches = null, val = null;
                var progress = new Inline<EpochReport>(r =>
                {
                    epochs.Value = r.Epoch + 1;
                    AnsiConsole.MarkupLine(Markup.Escape(EpochLine(r)));
                });
                var batchProgress = new Inline<BatchReport>(b =>
                {
                    if (b.Phase == "train")
                    {
                        if (b.Batch == 1)
                        {
                            batches?.StopTask();
                            val?.StopTask();
                            batches = ctx.AddTask($"{b.Epoch + 1,4}/{b.Epochs}", maxValue: b.Batches);
                            val = null;
                        }
                        batches!.Description = $"{b.Epoch + 1,4}/{b.Epochs}  " + string.Join("  ", b.Losses.Select(kv => $"{kv.Key} {kv.Value:F3}")) + $"  inst {b.Instances,3}";
                        batches.Value = b.Batch;
                        epochs.Value = b.Epoch + b.Batch / (double)b.Batches;
                    }
                    else
                    {
                        val ??= ctx.AddTask("           validating", maxValue: b.Batches);
                        val.Value = b.Batch;
                    }
                });
                result = TrainingRun.Run(o, progress, log: ValCommand.WarningsToStderr(), batches: batchProgress);
                epochs.Value = epochs.MaxValue;
                batches?.StopTask();
                val?.StopTask();
            });
        return result!;
    }

    static TrainResult Plain(TrainOptions o)
    {
        var lastLine = Stopwatch.StartNew();
        var progress = new Inline<EpochReport>(r => { Console.WriteLine(EpochLine(r)); lastLine.Restart(); });
        var batchProgress = new Inline<BatchReport>(b =>
        {
            if (b.Phase != "train" || lastLine.Elapsed.TotalSeconds < 10 || b.Batch == b.Batches) return;
            var eta = TimeSpan.FromSeconds(b.Seconds / b.Batch * (b.Batches - b.Batch));
            Console.WriteLine(string.Create(Inv, $"  epoch {b.Epoch + 1}/{b.Epochs} batch {b.Batch}/{b.Batches} ")
                + string.Join(" ", b.Losses.Select(kv => string.Create(Inv, $"{kv.Key} {kv.Value:F4}"))) + $" eta {eta:mm\\:ss}");
            lastLine.Restart();
        });
        return TrainingRun.Run(o, progress, log: ValCommand.WarningsToStderr(), batches: batchProgress);
    }

    public static string EpochLine(EpochReport r) =>
        string.Create(Inv, $"epoch {r.Epoch + 1}/{r.Epochs}  ") + string.Join(" ", r.Losses.Select(kv => string.Create(Inv, $"{kv.Key} {kv.Value:F4}")))
        + string.Create(Inv, $"  P {r.Precision:F3} R {r.Recall:F3} mAP50 {r.Map50:F3} mAP50-95 {r.Map50_95:F3}  {r.ImagesPerSecond:F1} img/s {r.Seconds:F1}s");

    sealed class Inline<T>(Action<T> a) : IProgress<T>
    {
        public void Report(T value) => a(value);
    }
}
