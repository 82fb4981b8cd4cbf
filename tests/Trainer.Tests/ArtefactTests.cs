using System.Globalization;
using Xunit.Abstractions;
using YoloSweep.Torch;
using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Optim;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

/// <summary>One real tiny training run (shared by the tests below) and the artefacts an ultralytics user expects in
/// its folder: they exist, parse, and the images decode to the sizes they should have.</summary>
public sealed class TinyRun : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "ys-artefacts-" + Guid.NewGuid().ToString("N")[..8]);
    public TinySynth Synth { get; } = new();
    public TrainResult Result { get; }
    public List<BatchReport> Batches { get; } = [];
    public List<EpochReport> Epochs { get; } = [];

    public TinyRun()
    {
        Result = TrainingRun.Run(new TrainOptions
        {
            Model = Fixtures.TinyModel("tiny-v8"), Data = Synth.Yaml, Epochs = 4, ImgSize = 64, Batch = 8, Seed = 1, Project = Dir, Workers = 2,
            CloseMosaic = 2, Optim = new OptimOptions(WarmupEpochs: 0, Lr0: 0.05, NominalBatch: 8),
        }, new SyncProgress<EpochReport>(Epochs.Add), batches: new SyncProgress<BatchReport>(Batches.Add));
    }

    public void Dispose()
    {
        Synth.Dispose();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}

public class ArtefactTests(TinyRun run, ITestOutputHelper output) : IClassFixture<TinyRun>
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    [Theory]
    [InlineData("results.png", 1500, 600)]  // 5 columns: 3 losses, P or mAP50, R or mAP50-95
    [InlineData("PR_curve.png", 900, 600)]
    [InlineData("F1_curve.png", 900, 600)]
    [InlineData("P_curve.png", 900, 600)]
    [InlineData("R_curve.png", 900, 600)]
    [InlineData("confusion_matrix.png", 900, 760)]
    [InlineData("confusion_matrix_normalized.png", 900, 760)]
    [InlineData("labels.jpg", 1000, 1000)]
    [InlineData("train_batch0.jpg", 768, 768)]   // 8 images of 64 px: 3×3 tiles enlarged to 256 px
    [InlineData("train_batch2.jpg", 768, 768)]
    [InlineData("val_batch0_labels.jpg", 1024, 1024)]  // 16 images: 4×4 tiles
    [InlineData("val_batch0_pred.jpg", 1024, 1024)]
    public void Plot_decodes_to_its_size(string file, int width, int height)
    {
        var path = Path.Combine(run.Dir, file);
        Assert.True(File.Exists(path), $"{file} missing; run folder has {string.Join(", ", Directory.GetFiles(run.Dir).Select(Path.GetFileName))}");
        using var img = image.read(path);
        Assert.Equal([height, width, 3], img.shape);
        // not a blank canvas: the plot has both light and dark pixels
        using var f = img.to(ScalarType.Float32);
        Assert.True(f.min().item<float>() < 100 && f.max().item<float>() > 200, $"{file} looks blank");
    }

    [Fact]
    public void Results_svg_has_every_column_title_and_the_epoch_axis()
    {
        var svg = File.ReadAllText(Path.Combine(run.Dir, "results.svg"));
        Assert.StartsWith("<?xml", svg);
        foreach (var t in new[] { "train/box_loss", "val/dfl_loss", "metrics/mAP50-95(B)", "epoch" })
            Assert.Contains(t, svg);
    }

    [Fact]
    public void Results_csv_has_train_and_val_losses_for_every_epoch()
    {
        var lines = File.ReadAllLines(Path.Combine(run.Dir, "results.csv"));
        var header = lines[0].Split(',');
        Assert.Equal(["epoch", "train/box_loss", "train/cls_loss", "train/dfl_loss", "metrics/precision(B)", "metrics/recall(B)",
            "metrics/mAP50(B)", "metrics/mAP50-95(B)", "val/box_loss", "val/cls_loss", "val/dfl_loss", "fitness", "lr/pg0", "lr/pg1", "lr/pg2", "images_per_second"], header);
        Assert.Equal(5, lines.Length);
        foreach (var row in lines.Skip(1))
        {
            var v = row.Split(',').Select(x => double.Parse(x, Inv)).ToArray();
            for (var k = 8; k <= 10; k++) Assert.True(v[k] > 0 && double.IsFinite(v[k]), $"val loss column {header[k]} = {v[k]} in '{row}'");
        }
        Assert.Equal(run.Epochs.Select(e => e.ValLosses!["box_loss"].ToString("G6", Inv)), lines.Skip(1).Select(l => l.Split(',')[8]));
    }

    [Fact]
    public void Args_yaml_records_the_settings_under_ultralytics_names()
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(run.Dir, "args.yaml"))));
        var map = (YamlDotNet.RepresentationModel.YamlMappingNode)yaml.Documents[0].RootNode;
        string V(string k) => ((YamlDotNet.RepresentationModel.YamlScalarNode)map[k]).Value!;
        Assert.Equal("detect", V("task"));
        Assert.Equal("4", V("epochs"));
        Assert.Equal("64", V("imgsz"));
        Assert.Equal("2", V("close_mosaic"));
        Assert.Equal("8", V("nbs"));
        Assert.Equal("0.05", V("lr0"));
        Assert.Equal(Path.GetFileName(run.Dir), V("name"));
    }

    [Fact]
    public void Train_log_records_the_epochs_and_the_per_class_table()
    {
        var log = File.ReadAllText(Path.Combine(run.Dir, "train.log"));
        output.WriteLine(log);
        Assert.Contains("Epoch 4/4", log);
        Assert.Contains("mAP50-95", log);
        foreach (var name in Data.Synth.ClassNames) Assert.Contains(name, log);
        Assert.Contains("Results saved to", log);
    }

    [Fact]
    public void Batch_progress_reports_every_train_and_val_batch_with_running_losses()
    {
        var train = run.Batches.Where(b => b.Phase == "train").ToList();
        Assert.Equal(4 * 6, train.Count);  // 48 images, batch 8
        Assert.Equal(Enumerable.Range(1, 6), train.Where(b => b.Epoch == 0).Select(b => b.Batch));
        Assert.All(train, b => Assert.Equal(6, b.Batches));
        // the running mean after the last batch is the epoch's loss
        var last = train.Last(b => b.Epoch == 3);
        Assert.Equal(run.Epochs[3].Losses["box_loss"], last.Losses["box_loss"], 9);
        Assert.Equal(4, run.Batches.Count(b => b.Phase == "val"));  // 16 val images, batch 16: one per epoch
    }

    [Fact]
    public void Best_and_last_weights_carry_the_model_in_their_metadata_and_load_alone()
    {
        foreach (var file in new[] { "best.safetensors", "last.safetensors" })
        {
            var path = Path.Combine(run.Dir, "weights", file);
            var (tensors, meta) = safetensors.read(path);
            foreach (var (_, t) in tensors) t.Dispose();
            Assert.Equal("yolosweep-detect", meta["format"]);
            Assert.Equal("tiny-v8", meta["model"]);
            Assert.Equal("n", meta["scale"]);
            Assert.Equal("4", meta["nc"]);
            Assert.Equal("64", meta["imgsz"]);
            Assert.Equal("[\"rectangle\",\"ellipse\",\"triangle\",\"cross\"]", meta["names"]);
            Assert.Contains("Detect", meta["model_yaml"]);  // a YAML-file model travels with its YAML
            Assert.False(string.IsNullOrEmpty(meta["yolosweep_version"]));
            var (model, info) = WeightsFile.Load(path, Device.CPU);
            using (model)
            {
                Assert.Equal(4, model.Nc);
                Assert.Equal("v8", info.Family);
                Assert.False(model.training);
            }
        }
    }

    [Fact]
    public void Weights_without_our_metadata_are_refused_in_one_line()
    {
        var path = Path.Combine(run.Dir, "plain.safetensors");
        using (var t = zeros([2]))
            safetensors.save_file([("w", t)], path);
        var e = Assert.Throws<ArgumentException>(() => WeightsFile.Load(path, Device.CPU));
        output.WriteLine(e.Message);
        Assert.Contains("not a YoloSweep detector checkpoint", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void The_latency_step_measures_under_the_host_lock_and_records_how()
    {
        var l = run.Result.Latency!;
        Assert.Equal(run.Result.LatencyMs, l.MedianMs);
        Assert.True(l.MedianMs > 0 && l.P25Ms <= l.MedianMs && l.MedianMs <= l.P75Ms, l.ToString());
        Assert.Equal((30, 5, 64, "cpu", Models.LatencyMeter.DefaultThreads()), (l.Runs, l.Warmup, l.Imgsz, l.Device, l.Threads));
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run.Dir, "metrics.json")))!;
        Assert.Equal(l.IqrMs, (double)json["latency_iqr_ms"]!, 9);
        Assert.Equal(30, (int)json["latency_runs"]!);
        Assert.Equal(l.Threads, (int)json["latency_threads"]!);
        Assert.Equal(64, (int)json["latency_imgsz"]!);
        Assert.Equal("cpu", (string)json["latency_device"]!);
        var log = File.ReadAllText(Path.Combine(run.Dir, "train.log"));
        Assert.Matches(@"Latency: waited \d+\.\d\d s for the host lock", log);
        Assert.Contains("30 runs after 5 warm-up", log);
    }

    [Fact]
    public void Final_metrics_are_those_of_the_best_epoch_with_per_class_images()
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run.Dir, "metrics.json")))!;
        var bestEpoch = (int)json["best_epoch"]!;
        var best = run.Epochs.MaxBy(e => e.Fitness)!;
        Assert.Equal(best.Epoch + 1, bestEpoch);
        Assert.Equal(best.Map50_95, run.Result.Map50_95, 9);
        Assert.Equal(16, (int)json["images"]!);
        var perClass = json["per_class"]!.AsArray();
        Assert.All(perClass, c => Assert.InRange((int)c!["images"]!, 1, 16));
        Assert.All(perClass, c => Assert.True((int)c!["labels"]! >= (int)c["images"]!));
    }
}
