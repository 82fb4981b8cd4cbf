using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using YoloSweep.Models;
using YoloSweep.Torch;
using YoloSweep.Trainer.Engine;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep predict --weights W --source DIR|FILE [--save]`: detects objects in images, as `yolo predict`
/// does, from the weights alone. Prints one line per image; writes predictions.json, and with --save the images
/// with their boxes drawn, with --save-txt YOLO label files, to runs/predict, runs/predict2, ….</summary>
public static class PredictCommand
{
    public static Command Build()
    {
        var weights = new Option<string>("--weights") { Description = "weights file written by `yolosweep train` (weights/best.safetensors or last.safetensors)", Required = true };
        var source = new Option<string>("--source") { Description = "an image file or a folder of images (.jpg, .jpeg, .png)", Required = true };
        var imgsz = new Option<int?>("--imgsz") { Description = "inference size (default: the size the weights were trained at)" };
        var conf = new Option<double>("--conf") { Description = "confidence threshold", DefaultValueFactory = _ => 0.25 };
        var iou = new Option<double>("--iou") { Description = "NMS IoU threshold", DefaultValueFactory = _ => 0.45 };
        var maxDet = new Option<int>("--max-det") { Description = "most boxes per image", DefaultValueFactory = _ => 300 };
        var device = new Option<string>("--device") { Description = "cpu or cuda:N", DefaultValueFactory = _ => "cpu" };
        var save = new Option<bool>("--save") { Description = "save the images with their boxes drawn" };
        var saveTxt = new Option<bool>("--save-txt") { Description = "save labels/NAME.txt (class x y w h, normalised)" };
        var saveConf = new Option<bool>("--save-conf") { Description = "with --save-txt: add each box's confidence" };
        var project = new Option<string>("--project") { Description = "folder of the runs", DefaultValueFactory = _ => "runs" };
        var name = new Option<string>("--name") { Description = "run name: PROJECT/NAME, or NAME2, NAME3, … when it exists", DefaultValueFactory = _ => "predict" };
        var existOk = new Option<bool>("--exist-ok") { Description = "reuse PROJECT/NAME instead of numbering a new run" };
        var cmd = new Command("predict", "Detect objects in images with a weights file: boxes drawn, YOLO txt and JSON outputs")
            { weights, source, imgsz, conf, iou, maxDet, device, save, saveTxt, saveConf, project, name, existOk };
        cmd.SetAction(p =>
        {
            var inv = CultureInfo.InvariantCulture;
            try
            {
                var images = Predictor.Sources(p.GetValue(source)!);
                var dev = TrainingRun.ParseDevices(p.GetValue(device)!)[0];
                var (model, info) = WeightsFile.Load(p.GetValue(weights)!, dev);
                using var _ = model;
                var size = p.GetValue(imgsz) ?? info.ImgSize;
                if (size < 32 || size % 32 != 0) throw new CliException($"--imgsz {size}: must be a multiple of 32, at least 32");
                if (p.GetValue(conf) is < 0 or > 1) throw new CliException($"--conf {p.GetValue(conf).ToString(inv)}: between 0 and 1");
                var runDir = Path.GetFullPath(RunFolders.Next(p.GetValue(project)!, p.GetValue(name)!, p.GetValue(existOk)));
                Directory.CreateDirectory(runDir);
                var predictor = new Predictor(model, info, dev, size, p.GetValue(conf), p.GetValue(iou), p.GetValue(maxDet));
                AnsiConsole.MarkupLineInterpolated($"[bold]{info.Title}[/] ({p.GetValue(weights)}, epoch {info.Epoch}) on {images.Count} image(s) at {size} px");
                var results = new List<ImagePrediction>();
                for (var i = 0; i < images.Count; i++)
                {
                    ImagePrediction pred;
                    torch.Tensor hwc;
                    try { (pred, hwc) = predictor.Predict(images[i]); }
                    catch (TorchException e)
                    {
                        Cli.Stderr().MarkupLineInterpolated($"[yellow]warning:[/] image {i + 1}/{images.Count} skipped: {e.Message}");
                        continue;
                    }
                    using (hwc)
                    {
                        results.Add(pred);
                        if (p.GetValue(save)) Predictor.SaveAnnotated(pred, hwc, info.Names, runDir);
                        if (p.GetValue(saveTxt)) Predictor.SaveTxt(pred, runDir, p.GetValue(saveConf));
                    }
                    AnsiConsole.WriteLine(string.Create(inv, $"image {i + 1}/{images.Count} {TrainCommands.Relative(pred.Path)}: {pred.Width}x{pred.Height} {Predictor.Summary(pred)}, {pred.InferenceMs:F1}ms"));
                }
                Predictor.SaveJson(results, info, Path.Combine(runDir, "predictions.json"));
                // the first image warms up the model: report the others' times when there are some
                var timed = results.Count > 1 ? results.Skip(1).ToList() : results;
                AnsiConsole.WriteLine(string.Create(inv,
                    $"Speed: {timed.Average(r => r.PreprocessMs):F1}ms preprocess, {timed.Average(r => r.InferenceMs):F1}ms inference, {timed.Average(r => r.PostprocessMs):F1}ms postprocess per image at shape (1, 3, {size}, {size})"));
                var saved = new List<string> { "predictions.json" };
                if (p.GetValue(save)) saved.Add($"{results.Count} annotated image(s)");
                if (p.GetValue(saveTxt)) saved.Add("labels/*.txt");
                AnsiConsole.MarkupLineInterpolated($"Results saved to [bold]{TrainCommands.Relative(runDir)}[/] ({string.Join(", ", saved)})");
                return 0;
            }
            catch (Exception e) when (e is ModelConfigException or TorchException)
            {
                throw new CliException(e.Message);
            }
        });
        return cmd;
    }
}
