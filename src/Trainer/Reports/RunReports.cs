using System.Globalization;
using System.Text;
using System.Text.Json;
using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Metrics;

namespace YoloSweep.Trainer.Reports;

/// <summary>Run artefacts: results.csv (ultralytics column names), metrics.json, results.svg and PR_curve.svg.</summary>
public static class RunReports
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string[] Header(IEnumerable<string> lossNames) =>
    [
        "epoch", .. lossNames.Select(n => $"train/{n}"), "metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)",
        "metrics/mAP50-95(B)", "fitness", "lr/pg0", "lr/pg1", "lr/pg2", "images_per_second",
    ];

    public static string Row(EpochReport r, (double, double, double) lrs) =>
        string.Join(",", new[] { (r.Epoch + 1).ToString(Inv) }
            .Concat(r.Losses.Values.Select(v => v.ToString("G6", Inv)))
            .Concat(new[] { r.Precision, r.Recall, r.Map50, r.Map50_95, r.Fitness, lrs.Item1, lrs.Item2, lrs.Item3, r.ImagesPerSecond }
                .Select(v => v.ToString("G6", Inv))));

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
            ["epochs"] = r.Epochs, ["train_seconds"] = r.TrainSeconds, ["images_per_second"] = r.ImagesPerSecond,
            ["per_class"] = r.PerClass.Select(c => new Dictionary<string, object>
            {
                ["class"] = c.Class, ["name"] = c.Class < names.Count ? names[c.Class] : c.Class.ToString(Inv), ["labels"] = c.Labels,
                ["precision"] = c.P, ["recall"] = c.R, ["map50"] = c.AP50, ["map50_95"] = c.AP50_95,
            }).ToList(),
            ["per_epoch"] = epochs.Select(e => new Dictionary<string, object>
            {
                ["epoch"] = e.Epoch + 1, ["losses"] = e.Losses, ["map50"] = e.Map50, ["map50_95"] = e.Map50_95,
                ["fitness"] = e.Fitness, ["lr"] = e.Lr,
            }).ToList(),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Small-multiple line charts of every results.csv column against epoch.</summary>
    public static void WriteResultsSvg(string csvPath, string svgPath)
    {
        var lines = File.ReadAllLines(csvPath);
        if (lines.Length < 2) return;
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',').Select(v => double.Parse(v, Inv)).ToArray()).ToList();
        var charts = header.Skip(1).Select((h, i) => (h, i + 1)).Where(c => !c.h.StartsWith("lr/pg1") && !c.h.StartsWith("lr/pg2")).ToList();
        const int cw = 220, ch = 150, cols = 5;
        var nrows = (charts.Count + cols - 1) / cols;
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{cols * cw}\" height=\"{nrows * ch}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        for (var k = 0; k < charts.Count; k++)
        {
            var (name, col) = charts[k];
            var (ox, oy) = (k % cols * cw, k / cols * ch);
            var xs = rows.Select(r => r[0]).ToArray();
            var ys = rows.Select(r => r[col]).ToArray();
            sb.Append(Inv, $"<text x=\"{ox + 10}\" y=\"{oy + 14}\">{name}</text>\n");
            sb.Append(Polyline(xs, ys, ox + 30, oy + 22, cw - 45, ch - 45, "#1f77b4"));
        }
        sb.Append("</svg>\n");
        File.WriteAllText(svgPath, sb.ToString());
    }

    /// <summary>Precision-recall curve per class at IoU 0.5 and their mean (as yolov5 PR_curve.png).</summary>
    public static void WritePrCurveSvg(DetectionSummary s, IReadOnlyList<string> names, string svgPath)
    {
        const int w = 480, h = 400;
        var sb = new StringBuilder();
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append("<text x=\"40\" y=\"16\">Precision-Recall (IoU 0.5)</text>\n");
        string[] colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
        for (var c = 0; c < s.CurvePrecision.Length; c++)
        {
            var pc = s.PerClass[c];
            var label = (pc.Class < names.Count ? names[pc.Class] : pc.Class.ToString(Inv)) + $" {pc.AP50:F3}";
            sb.Append(Polyline(s.CurveRecall, s.CurvePrecision[c], 40, 30, w - 160, h - 70, colours[c % colours.Length], 0, 1));
            sb.Append(Inv, $"<text x=\"{w - 110}\" y=\"{40 + 14 * c}\" fill=\"{colours[c % colours.Length]}\">{label}</text>\n");
        }
        if (s.CurvePrecision.Length > 0)
        {
            var mean = s.CurveRecall.Select((_, i) => s.CurvePrecision.Average(p => p[i])).ToArray();
            sb.Append(Polyline(s.CurveRecall, mean, 40, 30, w - 160, h - 70, "#000000", 0, 1, 3));
            sb.Append(Inv, $"<text x=\"{w - 110}\" y=\"{40 + 14 * s.CurvePrecision.Length}\">all {s.Map50:F3} mAP@0.5</text>\n");
        }
        sb.Append(Inv, $"<text x=\"{40 + (w - 160) / 2}\" y=\"{h - 15}\">Recall</text><text x=\"2\" y=\"{30 + (h - 70) / 2}\">Precision</text>\n</svg>\n");
        File.WriteAllText(svgPath, sb.ToString());
    }

    static string Polyline(double[] xs, double[] ys, double ox, double oy, double w, double h, string colour, double? ymin = null, double? ymax = null, double width = 1.5)
    {
        if (xs.Length == 0) return "";
        var (x0, x1) = (xs.Min(), xs.Max());
        var (y0, y1) = (ymin ?? ys.Where(double.IsFinite).DefaultIfEmpty(0).Min(), ymax ?? ys.Where(double.IsFinite).DefaultIfEmpty(1).Max());
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) y1 = y0 + 1;
        var pts = string.Join(" ", xs.Select((x, i) => double.IsFinite(ys[i])
            ? $"{(ox + (x - x0) / (x1 - x0) * w).ToString("F1", Inv)},{(oy + h - (ys[i] - y0) / (y1 - y0) * h).ToString("F1", Inv)}" : "").Where(p => p.Length > 0));
        return $"<rect x=\"{ox.ToString(Inv)}\" y=\"{oy.ToString(Inv)}\" width=\"{w.ToString(Inv)}\" height=\"{h.ToString(Inv)}\" fill=\"none\" stroke=\"#ccc\"/>"
             + $"<text x=\"{(ox - 28).ToString(Inv)}\" y=\"{(oy + 8).ToString(Inv)}\">{y1.ToString("G3", Inv)}</text><text x=\"{(ox - 28).ToString(Inv)}\" y=\"{(oy + h).ToString(Inv)}\">{y0.ToString("G3", Inv)}</text>"
             + $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"{width.ToString(Inv)}\" points=\"{pts}\"/>\n";
    }
}
