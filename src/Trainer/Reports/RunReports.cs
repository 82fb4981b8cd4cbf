using System.Globalization;
using System.Text;
using System.Text.Json;
using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Metrics;

namespace YoloSweep.Trainer.Reports;

/// <summary>Run artefacts in text: results.csv (ultralytics column names), args.yaml and metrics.json (the plots are
/// <see cref="RunPlots"/>).</summary>
public static class RunReports
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>ultralytics' columns (epoch, train/*, metrics/*(B), val/*, lr/pg0..2) plus fitness and throughput.</summary>
    public static string[] Header(IReadOnlyList<string> lossNames) =>
    [
        "epoch", .. lossNames.Select(n => $"train/{n}"), "metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)",
        "metrics/mAP50-95(B)", .. lossNames.Select(n => $"val/{n}"), "fitness", "lr/pg0", "lr/pg1", "lr/pg2", "images_per_second",
    ];

    public static string Row(EpochReport r, IReadOnlyList<string> lossNames, (double, double, double) lrs) =>
        string.Join(",", new[] { (r.Epoch + 1).ToString(Inv) }
            .Concat(lossNames.Select(n => r.Losses[n].ToString("G6", Inv)))
            .Concat(new[] { r.Precision, r.Recall, r.Map50, r.Map50_95 }.Select(v => v.ToString("G6", Inv)))
            .Concat(lossNames.Select(n => (r.ValLosses?.GetValueOrDefault(n) ?? 0).ToString("G6", Inv)))
            .Concat(new[] { r.Fitness, lrs.Item1, lrs.Item2, lrs.Item3, r.ImagesPerSecond }.Select(v => v.ToString("G6", Inv))));

    /// <summary>Keeps the header and the rows of epochs 1..keepEpochs (a resumed run rewrites the rest once).</summary>
    public static void TruncateCsv(string path, int keepEpochs)
    {
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path);
        var kept = lines.Take(1).Concat(lines.Skip(1).Where(l => int.TryParse(l.Split(',')[0], Inv, out var e) && e <= keepEpochs)).ToArray();
        File.WriteAllLines(path, kept);
    }

    public static void AppendCsv(string path, string[] header, string row)
    {
        if (!File.Exists(path) || new FileInfo(path).Length == 0) File.WriteAllText(path, string.Join(",", header) + "\n");
        File.AppendAllText(path, row + "\n");
    }

    public static void WriteMetricsJson(string path, TrainResult r, IReadOnlyList<string> names, IReadOnlyList<EpochReport> epochs)
    {
        var doc = new Dictionary<string, object?>
        {
            ["map50"] = r.Map50, ["map50_95"] = r.Map50_95, ["precision"] = r.Precision, ["recall"] = r.Recall,
            ["fitness"] = r.Fitness, ["params"] = r.Params, ["gflops"] = r.Gflops, ["latency_ms"] = r.LatencyMs,
            ["epochs"] = r.Epochs, ["best_epoch"] = r.BestEpoch, ["train_seconds"] = r.TrainSeconds, ["images_per_second"] = r.ImagesPerSecond,
            ["images"] = r.Images,
            ["latency_iqr_ms"] = r.Latency?.IqrMs, ["latency_runs"] = r.Latency?.Runs, ["latency_warmup"] = r.Latency?.Warmup,
            ["latency_threads"] = r.Latency?.Threads, ["latency_imgsz"] = r.Latency?.Imgsz, ["latency_device"] = r.Latency?.Device,
            ["per_class"] = r.PerClass.Select(c => new Dictionary<string, object>
            {
                ["class"] = c.Class, ["name"] = c.Class < names.Count ? names[c.Class] : c.Class.ToString(Inv), ["images"] = c.Images, ["labels"] = c.Labels,
                ["precision"] = c.P, ["recall"] = c.R, ["map50"] = c.AP50, ["map50_95"] = c.AP50_95,
            }).ToList(),
            ["per_epoch"] = epochs.Select(e => new Dictionary<string, object>
            {
                ["epoch"] = e.Epoch + 1, ["losses"] = e.Losses, ["val_losses"] = e.ValLosses ?? new Dictionary<string, double>(), ["map50"] = e.Map50, ["map50_95"] = e.Map50_95,
                ["fitness"] = e.Fitness, ["lr"] = e.Lr,
            }).ToList(),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>The per-class table ultralytics prints after validation: all, then one row per class with labels.</summary>
    public static string ClassTable(DetectionSummary s, IReadOnlyList<string> names)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"{"Class",22}{"Images",11}{"Instances",11}{"P",11}{"R",11}{"mAP50",11}{"mAP50-95",11}\n");
        sb.Append(Inv, $"{"all",22}{s.Images,11}{s.PerClass.Sum(c => c.Labels),11}{s.P,11:F3}{s.R,11:F3}{s.Map50,11:F3}{s.Map50_95,11:F3}\n");
        foreach (var c in s.PerClass)
            sb.Append(Inv, $"{(c.Class < names.Count ? names[c.Class] : c.Class.ToString(Inv)),22}{c.Images,11}{c.Labels,11}{c.P,11:F3}{c.R,11:F3}{c.AP50,11:F3}{c.AP50_95,11:F3}\n");
        return sb.ToString().TrimEnd('\n');
    }

    /// <summary>args.yaml: the run's settings under ultralytics' names (what `yolo train` writes), so a run can be
    /// read, compared and repeated.</summary>
    public static void WriteArgsYaml(string path, TrainOptions o, string runDir)
    {
        var a = o.Augment;
        var p = o.Optim;
        var args = new (string, object?)[]
        {
            ("task", "detect"), ("mode", "train"), ("model", o.Model), ("scale", o.Scale), ("data", Path.GetFullPath(o.Data)),
            ("epochs", o.Epochs), ("patience", o.Patience), ("batch", o.Batch), ("imgsz", o.ImgSize), ("device", o.Device),
            ("workers", o.Workers), ("project", Path.GetDirectoryName(runDir)), ("name", Path.GetFileName(runDir)), ("seed", o.Seed),
            ("resume", o.Resume), ("cache", o.CacheRam ? "ram" : "false"), ("amp", o.Amp), ("close_mosaic", o.CloseMosaic), ("val", o.ValEveryEpoch),
            ("optimizer", p.Optimizer), ("lr0", p.Lr0), ("lrf", p.Lrf), ("momentum", p.Momentum), ("weight_decay", p.WeightDecay),
            ("warmup_epochs", p.WarmupEpochs), ("warmup_momentum", p.WarmupMomentum), ("warmup_bias_lr", p.WarmupBiasLr), ("cos_lr", p.Cosine),
            ("nbs", p.NominalBatch), ("hsv_h", a.HsvH), ("hsv_s", a.HsvS), ("hsv_v", a.HsvV), ("translate", a.Translate), ("scale_aug", a.Scale),
            ("fliplr", a.FlipLR), ("mosaic", a.Mosaic),
        };
        var sb = new StringBuilder();
        foreach (var (k, v) in args) sb.Append(k).Append(": ").Append(YamlScalar(v)).Append('\n');
        if (o.Knobs.Count > 0)
        {
            sb.Append("knobs:\n");
            foreach (var (k, v) in o.Knobs.OrderBy(kv => kv.Key, StringComparer.Ordinal)) sb.Append("  ").Append(k).Append(": ").Append(YamlScalar(v)).Append('\n');
        }
        else sb.Append("knobs: {}\n");
        File.WriteAllText(path, sb.ToString());
    }

    static string YamlScalar(object? v) => v switch
    {
        null => "null",
        bool b => b ? "true" : "false",
        double d => d.ToString("R", Inv),
        int or long => Convert.ToString(v, Inv)!,
        string s when s.Length == 0 || s.IndexOfAny([':', '#', '\'', '"', '{', '}', '[', ']', ',']) >= 0 || s != s.Trim()
            || s is "true" or "false" or "null" || double.TryParse(s, NumberStyles.Float, Inv, out _) => JsonSerializer.Serialize(s),
        _ => Convert.ToString(v, Inv)!,
    };

    /// <summary>The epochs of a results.csv (columns found by name, so older files without val losses still read).</summary>
    public static List<EpochReport> ReadCsv(string csv, string[] lossNames)
    {
        var list = new List<EpochReport>();
        if (!File.Exists(csv)) return list;
        var lines = File.ReadAllLines(csv);
        if (lines.Length == 0) return list;
        var header = lines[0].Split(',');
        foreach (var line in lines.Skip(1))
        {
            var v = line.Split(',').Select(x => double.Parse(x, Inv)).ToArray();
            double Col(string name) => Array.IndexOf(header, name) is var i and >= 0 && i < v.Length ? v[i] : 0;
            list.Add(new EpochReport((int)Col("epoch") - 1, 0, lossNames.ToDictionary(l => l, l => Col("train/" + l)),
                Col("metrics/precision(B)"), Col("metrics/recall(B)"), Col("metrics/mAP50(B)"), Col("metrics/mAP50-95(B)"), Col("fitness"),
                Col("lr/pg0"), Col("images_per_second"), 0) { ValLosses = lossNames.ToDictionary(l => l, l => Col("val/" + l)) });
        }
        return list;
    }
}
