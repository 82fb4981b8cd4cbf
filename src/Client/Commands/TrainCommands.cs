using System.CommandLine;
using Spectre.Console;
using YoloSweep.Models;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Optim;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep train`: a thin driver over <see cref="TrainingRun.Run"/>.</summary>
public static class TrainCommands
{
    public static Command Build()
    {
        var model = new Option<string>("--model") { Description = $"zoo model ({string.Join(", ", ModelCatalog.Names)}) or a path to a model YAML", Required = true };
        var scale = new Option<string>("--scale") { Description = "n, s, m, l or x", DefaultValueFactory = _ => "n" };
        var data = new Option<string>("--data") { Description = "dataset YAML (ultralytics format)", Required = true };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 100 };
        var imgsz = new Option<int>("--imgsz") { DefaultValueFactory = _ => 640 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 16 };
        var device = new Option<string>("--device") { Description = "cpu, cuda:0 or cuda:0,1 (one replica per device)", DefaultValueFactory = _ => "cpu" };
        var knob = new Option<string[]>("--knob") { Description = "model knob k=v (repeatable)", AllowMultipleArgumentsPerToken = false };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "continue from PROJECT/weights/last.*" };
        var project = new Option<string>("--project") { Description = "run folder", DefaultValueFactory = _ => "runs/train" };
        var workers = new Option<int>("--workers") { DefaultValueFactory = _ => 2 };
        var optimizer = new Option<string>("--optimizer") { Description = $"{string.Join(", ", Optimizers.Names)}", DefaultValueFactory = _ => "SGD" };
        var lr0 = new Option<double?>("--lr0") { Description = "initial learning rate (default 0.01 for SGD, 0.001 for Adam/AdamW)" };
        var cmd = new Command("train", "Train a detector on a YOLO-format dataset") { model, scale, data, epochs, imgsz, batch, device, knob, seed, resume, project, workers, optimizer, lr0 };
        cmd.SetAction(parse =>
        {
            var knobs = new Dictionary<string, string>();
            foreach (var k in parse.GetValue(knob) ?? [])
            {
                var eq = k.IndexOf('=');
                if (eq <= 0) { AnsiConsole.MarkupLineInterpolated($"[red]--knob {k}: expected key=value[/]"); return 2; }
                knobs[k[..eq]] = k[(eq + 1)..];
            }
            if (Optimizers.Resolve(parse.GetValue(optimizer)) is not { } opt) { AnsiConsole.MarkupLineInterpolated($"[red]--optimizer: {Optimizers.UnknownMessage(parse.GetValue(optimizer))}[/]"); return 2; }
            var o = new TrainOptions
            {
                Model = parse.GetValue(model)!, Scale = parse.GetValue(scale)!, Data = parse.GetValue(data)!, Epochs = parse.GetValue(epochs),
                ImgSize = parse.GetValue(imgsz), Batch = parse.GetValue(batch), Device = parse.GetValue(device)!, Knobs = knobs,
                Seed = parse.GetValue(seed), Resume = parse.GetValue(resume), Project = parse.GetValue(project)!, Workers = parse.GetValue(workers),
                Optim = new OptimOptions(Lr0: parse.GetValue(lr0) ?? Optimizers.DefaultLr0(opt), Optimizer: opt),
            };
            try
            {
                TrainResult? result = null;
                AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                    .Start(ctx =>
                    {
                        var task = ctx.AddTask($"{o.Model}-{o.Scale}", maxValue: o.Epochs);
                        var progress = new InlineProgress(r =>
                        {
                            task.Value = r.Epoch + 1;
                            var losses = string.Join(" ", r.Losses.Select(kv => $"{kv.Key} {kv.Value:F4}"));
                            task.Description = $"{o.Model}-{o.Scale} epoch {r.Epoch + 1}/{r.Epochs}";
                            AnsiConsole.MarkupLineInterpolated($"epoch {r.Epoch + 1}/{r.Epochs}  {losses}  P {r.Precision:F3} R {r.Recall:F3} mAP50 {r.Map50:F3} mAP50-95 {r.Map50_95:F3}  {r.ImagesPerSecond:F1} img/s");
                        });
                        result = TrainingRun.Run(o, progress);
                    });
                AnsiConsole.MarkupLineInterpolated($"[green]done[/]: mAP50 {result!.Map50:F4} mAP50-95 {result.Map50_95:F4} → {result.RunDir}");
                return 0;
            }
            catch (Exception e) when (e is TrainingException or DatasetException or ModelConfigException or ArgumentException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]error[/]: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    sealed class InlineProgress(Action<EpochReport> a) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => a(value);
    }
}
