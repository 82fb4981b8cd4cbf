using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Serilog;
using Spectre.Console;
using YoloSweep.Models;
using YoloSweep.Torch;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Metrics;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep val --weights W --data D`: validates a weights file on a dataset, as `yolo val` does, from the
/// weights alone (the model, its classes and image size come from the file's metadata header). Prints the
/// per-class table; writes metrics.json, the curves, the confusion matrix and val_batch*.jpg to runs/val, runs/val2, ….</summary>
public static class ValCommand
{
    public static Command Build()
    {
        var weights = new Option<string>("--weights") { Description = "weights file written by `yolosweep train` (weights/best.safetensors or last.safetensors)", Required = true };
        var data = new Option<string>("--data") { Description = "dataset YAML (ultralytics format)", Required = true };
        var split = new Option<string>("--split") { Description = "val or train", DefaultValueFactory = _ => "val" };
        split.AcceptOnlyFromAmong("val", "train");
        var imgsz = new Option<int?>("--imgsz") { Description = "image size (default: the size the weights were trained at)" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 16 };
        var conf = new Option<double>("--conf") { Description = "confidence threshold of the detections scored", DefaultValueFactory = _ => 0.001 };
        var iou = new Option<double>("--iou") { Description = "NMS IoU threshold", DefaultValueFactory = _ => 0.6 };
        var device = new Option<string>("--device") { Description = "cpu or cuda:N", DefaultValueFactory = _ => "cpu" };
        var workers = new Option<int>("--workers") { DefaultValueFactory = _ => 2 };
        var project = new Option<string>("--project") { Description = "folder of the runs", DefaultValueFactory = _ => "runs" };
        var name = new Option<string>("--name") { Description = "run name: PROJECT/NAME, or NAME2, NAME3, … when it exists", DefaultValueFactory = _ => "val" };
        var existOk = new Option<bool>("--exist-ok") { Description = "reuse PROJECT/NAME instead of numbering a new run" };
        var plots = new Option<bool>("--plots") { Description = "write the plots (--plots false to skip them)", DefaultValueFactory = _ => true };
        var json = new Option<bool>("--json") { Description = "print the metrics as one JSON object instead of the table" };
        var cmd = new Command("val", "Validate a weights file on a dataset: P, R, mAP50, mAP50-95 per class, curves and confusion matrix")
            { weights, data, split, imgsz, batch, conf, iou, device, workers, project, name, existOk, plots, json };
        cmd.SetAction(p =>
        {
            try
            {
                var dev = TrainingRun.ParseDevices(p.GetValue(device)!)[0];
                var (model, info) = WeightsFile.Load(p.GetValue(weights)!, dev);
                using var _ = model;
                var cfg = DatasetConfig.Load(p.GetValue(data)!);
                if (cfg.Nc != info.Nc)
                    throw new CliException($"--data {cfg.YamlPath} has {cfg.Nc} classes, but --weights {p.GetValue(weights)} was trained on {info.Nc} ({string.Join(", ", info.Names)})");
                var size = p.GetValue(imgsz) ?? info.ImgSize;
                if (size < 32 || size % 32 != 0) throw new CliException($"--imgsz {size}: must be a multiple of 32, at least 32");
                var runDir = Path.GetFullPath(RunFolders.Next(p.GetValue(project)!, p.GetValue(name)!, p.GetValue(existOk)));
                Directory.CreateDirectory(runDir);
                var sources = p.GetValue(split) == "train" ? cfg.Train : cfg.Val;
                using var set = YoloDataset.Open(sources, cfg.Nc, size, cacheRam: false, WarningsToStderr(), p.GetValue(split)!);
                var loader = new DetectionLoader(set, Math.Max(1, p.GetValue(batch)), false, new AugmentOptions(), p.GetValue(workers));
                var options = new ValOptions
                {
                    Conf = p.GetValue(conf), Iou = p.GetValue(iou), Names = cfg.Names, PlotDir = p.GetValue(plots) ? runDir : null,
                    Loss = TrainingRun.MakeOutputLoss(model, size), LossNames = TrainingRun.LossNames(model.Family), Log = WarningsToStderr(),
                };
                var quiet = p.GetValue(json);
                if (!quiet)
                    AnsiConsole.MarkupLineInterpolated($"[bold]{info.Title}[/] ({p.GetValue(weights)}, epoch {info.Epoch}, {model.ParameterCount:N0} params) on {set.Count} {p.GetValue(split)} images at {size} px");
                var result = Run(loader, model, dev, options, quiet);
                var s = result.Summary;
                WriteMetrics(Path.Combine(runDir, "metrics.json"), result, info, cfg.Names, p.GetValue(weights)!);
                if (quiet)
                {
                    Console.WriteLine(File.ReadAllText(Path.Combine(runDir, "metrics.json")));
                    return 0;
                }
                AnsiConsole.Write(ClassTable(s.PerClass, cfg.Names, s.Images, s.P, s.R, s.Map50, s.Map50_95));
                AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Speed: {result.InferenceMsPerImage:F1}ms inference, {result.PostprocessMsPerImage:F1}ms NMS per image; val losses ")
                    + string.Join(" ", result.Losses.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:F4}"))));
                AnsiConsole.MarkupLineInterpolated($"Results saved to [bold]{TrainCommands.Relative(runDir)}[/]");
                return 0;
            }
            catch (Exception e) when (e is DatasetException or ModelConfigException or TorchException)
            {
                throw new CliException(e.Message);
            }
        });
        return cmd;
    }

    static ValResult Run(DetectionLoader loader, DetectionModel model, Device dev, ValOptions options, bool quiet)
    {
        if (quiet || !AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected)
            return Validator.Evaluate(model, loader, dev, options);
        ValResult? r = null;
        AnsiConsole.Progress().AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask("validating", maxValue: loader.BatchesPerEpoch);
                r = Validator.Evaluate(model, loader, dev, options with { OnBatch = (k, _) => task.Value = k });
            });
        return r!;
    }

    /// <summary>The engine's warnings (skipped images and label lines, plots that could not be drawn) as
    /// "warning: …" lines on stderr, beside the command's own output.</summary>
    public static Serilog.ILogger WarningsToStderr() => new Serilog.LoggerConfiguration().MinimumLevel.Warning()
        .WriteTo.Console(outputTemplate: "warning: {Message:lj}{NewLine}", standardErrorFromLevel: Serilog.Events.LogEventLevel.Verbose)
        .CreateLogger();

    /// <summary>The table ultralytics prints after validation: all, then one row per class that has labels.</summary>
    public static Table ClassTable(IReadOnlyList<ClassMetrics> perClass, IReadOnlyList<string> names, int images, double p, double r, double map50, double map)
    {
        var t = new Table().Border(TableBorder.Simple);
        foreach (var c in new[] { "Class", "Images", "Instances", "P", "R", "mAP50", "mAP50-95" })
            t.AddColumn(new TableColumn(c) { Alignment = c == "Class" ? Justify.Left : Justify.Right });
        static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        t.AddRow("all", images.ToString(CultureInfo.InvariantCulture), perClass.Sum(c => c.Labels).ToString(CultureInfo.InvariantCulture), F(p), F(r), F(map50), F(map));
        foreach (var c in perClass)
            t.AddRow(Markup.Escape(c.Class < names.Count ? names[c.Class] : c.Class.ToString(CultureInfo.InvariantCulture)), c.Images.ToString(CultureInfo.InvariantCulture),
                c.Labels.ToString(CultureInfo.InvariantCulture), F(c.P), F(c.R), F(c.AP50), F(c.AP50_95));
        return t;
    }

    static void WriteMetrics(string path, ValResult r, WeightsInfo info, IReadOnlyList<string> names, string weights)
    {
        var s = r.Summary;
        var doc = new Dictionary<string, object>
        {
            ["weights"] = Path.GetFullPath(weights), ["model"] = info.Title, ["epoch"] = info.Epoch,
            ["precision"] = s.P, ["recall"] = s.R, ["map50"] = s.Map50, ["map50_95"] = s.Map50_95, ["fitness"] = s.Fitness, ["images"] = s.Images,
            ["val_losses"] = r.Losses, ["inference_ms_per_image"] = r.InferenceMsPerImage, ["nms_ms_per_image"] = r.PostprocessMsPerImage,
            ["per_class"] = s.PerClass.Select(c => new Dictionary<string, object>
            {
                ["class"] = c.Class, ["name"] = c.Class < names.Count ? names[c.Class] : c.Class.ToString(CultureInfo.InvariantCulture),
                ["images"] = c.Images, ["labels"] = c.Labels, ["precision"] = c.P, ["recall"] = c.R, ["map50"] = c.AP50, ["map50_95"] = c.AP50_95,
            }).ToList(),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }
}
