using System.Globalization;
using ScottPlot;
using SkiaSharp;
using YoloSweep.Trainer.Metrics;

namespace YoloSweep.Trainer.Reports;

/// <summary>The run plots an ultralytics user knows, drawn with ScottPlot: results.png/.svg (every loss and metric of
/// results.csv against epoch), PR/F1/P/R curves, the confusion matrix and labels.jpg.</summary>
public static class RunPlots
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Draws one plot; a failure (a missing font or native library, a full disk) is logged as a warning and
    /// never stops a training run or a validation: the numbers matter more than their pictures.</summary>
    public static void Try(string what, Action draw, Serilog.ILogger? log = null)
    {
        try { draw(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            (log ?? Serilog.Log.Logger).Warning("Plot {What} skipped: {Error}", what, e.Message);
        }
    }

    /// <summary>An empty multiplot (ScottPlot's constructor adds one plot).</summary>
    static Multiplot NewMultiplot()
    {
        var m = new Multiplot();
        while (m.Count() > 0) m.RemovePlot(m.GetPlot(0));
        return m;
    }

    /// <summary>DejaVu Sans when installed (`make deps`), else ScottPlot's default (whose "Sans" may be a serif face).</summary>
    public static string FontFamily => s_font.Value;
    static readonly Lazy<string> s_font = new(() =>
        Fonts.GetTypeface("DejaVu Sans", false, false) is { FamilyName: "DejaVu Sans" } ? "DejaVu Sans" : Fonts.Default);

    static Plot NewPlot()
    {
        var plt = new Plot();
        plt.Font.Set(FontFamily);
        return plt;
    }

    // ---- results.png ----

    /// <summary>results.png and results.svg from results.csv: train losses, precision and recall on the first row, val
    /// losses, mAP50 and mAP50-95 on the second (ultralytics' layout), each with its smoothed curve.</summary>
    public static void Results(string csvPath, string dir)
    {
        if (!File.Exists(csvPath)) return;
        var lines = File.ReadAllLines(csvPath);
        if (lines.Length < 2) return;
        var header = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',').Select(v => double.Parse(v, Inv)).ToArray()).ToList();
        double[] Col(string name) => rows.Select(r => r[Array.IndexOf(header, name)]).ToArray();
        var epochs = Col("epoch");
        var train = header.Where(h => h.StartsWith("train/")).ToList();
        var val = header.Where(h => h.StartsWith("val/")).ToList();
        List<string> top = [.. train, "metrics/precision(B)", "metrics/recall(B)"];
        List<string> bottom = [.. val, "metrics/mAP50(B)", "metrics/mAP50-95(B)"];
        var cols = Math.Max(top.Count, bottom.Count);
        var multi = NewMultiplot();
        var layout = new ScottPlot.MultiplotLayouts.CustomGrid();
        foreach (var (names, row) in new[] { (top, 0), (bottom, 1) })
            for (var c = 0; c < names.Count; c++)
            {
                if (!header.Contains(names[c])) continue;
                var plt = NewPlot();
                var ys = Col(names[c]);
                var line = plt.Add.Scatter(epochs, ys);
                line.LegendText = "results";
                line.MarkerSize = 5;
                if (ys.Length >= 10)  // a sigma-3 filter over fewer epochs is a flat line that says nothing
                {
                    var smooth = plt.Add.Scatter(epochs, Gaussian(ys, 3));
                    smooth.LegendText = "smooth";
                    smooth.MarkerSize = 0;
                    smooth.LinePattern = LinePattern.Dotted;
                    smooth.LineWidth = 2;
                }
                plt.Title(names[c], size: 13);
                plt.XLabel("epoch", size: 12);
                plt.YLabel(names[c].StartsWith("metrics/") ? names[c]["metrics/".Length..].Replace("(B)", "") : "loss", size: 12);
                if (row == 0 && c == 0) plt.ShowLegend(Alignment.UpperRight);
                else plt.HideLegend();
                multi.AddPlot(plt);
                layout.Set(plt, new GridCell(row, c, 2, cols));
            }
        multi.Layout = layout;
        var (w, h) = (cols * 300, 600);
        multi.SavePng(Path.Combine(dir, "results.png"), w, h);
        using var stream = new SKFileWStream(Path.Combine(dir, "results.svg"));
        using (var canvas = SKSvgCanvas.Create(new SKRect(0, 0, w, h), stream))
            multi.Render(canvas, new PixelRect(0, w, h, 0));
    }

    /// <summary>scipy.ndimage.gaussian_filter1d (mode 'reflect', truncate 4), what ultralytics smooths results with.</summary>
    public static double[] Gaussian(double[] y, double sigma)
    {
        var radius = (int)(4 * sigma + 0.5);
        var k = Enumerable.Range(-radius, 2 * radius + 1).Select(x => Math.Exp(-0.5 * x * x / (sigma * sigma))).ToArray();
        var sum = k.Sum();
        var n = y.Length;
        int Reflect(int i)
        {
            // half-sample symmetric: d c b a | a b c d | d c b a, repeated for short inputs
            var period = 2 * n;
            i = ((i % period) + period) % period;
            return i < n ? i : period - 1 - i;
        }
        var r = new double[n];
        for (var i = 0; i < n; i++)
        {
            double s = 0;
            for (var j = -radius; j <= radius; j++) s += k[j + radius] * y[Reflect(i + j)];
            r[i] = s / sum;
        }
        return r;
    }

    // ---- curves ----

    /// <summary>PR_curve.png, F1_curve.png, P_curve.png and R_curve.png as ultralytics plot_pr_curve/plot_mc_curve.</summary>
    public static void Curves(DetectionSummary s, IReadOnlyList<string> names, string dir)
    {
        var labels = s.PerClass.Select(c => c.Class < names.Count ? names[c.Class] : c.Class.ToString(Inv)).ToList();
        Curve(Path.Combine(dir, "PR_curve.png"), "Precision-Recall Curve", "Recall", "Precision", s.Px, s.CurvePrecision,
            labels.Select((l, i) => $"{l} {s.PerClass[i].AP50:F3}").ToList(), mean => $"all classes {s.Map50:F3} mAP@0.5", smoothMean: false);
        foreach (var (file, title, ylabel, curves) in new[]
                 {
                     ("F1_curve.png", "F1-Confidence Curve", "F1", s.CurveF1), ("P_curve.png", "Precision-Confidence Curve", "Precision", s.CurveP),
                     ("R_curve.png", "Recall-Confidence Curve", "Recall", s.CurveR),
                 })
            Curve(Path.Combine(dir, file), title, "Confidence", ylabel, s.Px, curves, labels, mean =>
            {
                var i = DetectionMetrics.ArgMax(mean);
                return $"all classes {mean[i]:F2} at {s.Px[i]:F3}";
            }, smoothMean: true);
    }

    static void Curve(string path, string title, string xlabel, string ylabel, double[] px, double[][] perClass, IReadOnlyList<string> labels,
        Func<double[], string> meanLabel, bool smoothMean)
    {
        var plt = NewPlot();
        var showLegend = perClass.Length < 21;
        for (var c = 0; c < perClass.Length; c++)
        {
            var l = plt.Add.ScatterLine(px, perClass[c]);
            l.LineWidth = 1;
            if (!showLegend) l.Color = Colors.Gray;
            else l.LegendText = labels[c];
        }
        if (perClass.Length > 0)
        {
            var mean = px.Select((_, i) => perClass.Average(p => p[i])).ToArray();
            if (smoothMean) mean = DetectionMetrics.Smooth(mean, 0.05);
            var m = plt.Add.ScatterLine(px, mean);
            m.LineWidth = 3;
            m.Color = Colors.Blue;
            m.LegendText = meanLabel(mean);
        }
        plt.Axes.SetLimits(0, 1, 0, 1.02);
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.2);
        plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(0.2);
        plt.Title(title);
        plt.XLabel(xlabel);
        plt.YLabel(ylabel);
        plt.ShowLegend(Alignment.LowerLeft);
        plt.SavePng(path, 900, 600);
    }

    // ---- confusion matrix ----

    /// <summary>confusion_matrix.png (counts) and confusion_matrix_normalized.png (each true class sums to 1):
    /// predicted classes down, true classes across, background last.</summary>
    public static void Confusion(ConfusionMatrix cm, IReadOnlyList<string> names, string dir)
    {
        var n = cm.Nc + 1;
        var ticks = Enumerable.Range(0, cm.Nc).Select(c => c < names.Count ? names[c] : c.ToString(Inv)).Append("background").ToArray();
        var norm = cm.Normalized();
        foreach (var normalized in new[] { false, true })
        {
            var plt = NewPlot();
            var data = new double[n, n];
            for (var p = 0; p < n; p++)
                for (var t = 0; t < n; t++)
                    data[p, t] = normalized ? (norm[p, t] < 0.005 ? double.NaN : norm[p, t]) : (cm.Matrix[p, t] == 0 ? double.NaN : cm.Matrix[p, t]);
            var hm = plt.Add.Heatmap(data);
            hm.Colormap = new ScottPlot.Colormaps.Blues().Reversed();  // white for 0 up to dark blue, as matplotlib's Blues
            hm.NaNCellColor = Colors.White;
            hm.Extent = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
            var max = 0.0;
            foreach (var v in data) if (double.IsFinite(v)) max = Math.Max(max, v);
            hm.ManualRange = new ScottPlot.Range(0, Math.Max(max, 1e-9));
            if (n < 30)
                for (var p = 0; p < n; p++)
                    for (var t = 0; t < n; t++)
                    {
                        if (!double.IsFinite(data[p, t])) continue;
                        var txt = plt.Add.Text(normalized ? data[p, t].ToString("F2", Inv) : ((long)data[p, t]).ToString(Inv), t, n - 1 - p);
                        txt.LabelAlignment = Alignment.MiddleCenter;
                        txt.LabelFontSize = n > 12 ? 9 : 14;
                        txt.LabelFontColor = data[p, t] > max * 0.6 ? Colors.White : Colors.Black;
                    }
            var pos = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
            plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(pos, ticks);
            plt.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(pos.Select(i => n - 1 - i).ToArray(), ticks);
            if (ticks.Sum(t => t.Length) > 60)
            {
                plt.Axes.Bottom.TickLabelStyle.Rotation = -90;
                plt.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
                plt.Axes.Bottom.MinimumSize = ticks.Max(t => t.Length) * 8 + 40;
            }
            plt.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
            plt.Grid.IsVisible = false;
            plt.Add.ColorBar(hm);
            plt.Title(normalized ? "Confusion Matrix Normalized" : "Confusion Matrix");
            plt.XLabel("True");
            plt.YLabel("Predicted");
            plt.SavePng(Path.Combine(dir, normalized ? "confusion_matrix_normalized.png" : "confusion_matrix.png"), 900, 760);
        }
    }

    // ---- labels.jpg ----

    /// <summary>labels.jpg as ultralytics plot_labels: instances per class, box centres, box sizes, and (up to 500)
    /// boxes drawn around one centre. Labels are rows [cls, x, y, w, h] normalised.</summary>
    public static void Labels(IReadOnlyList<float[]> labels, IReadOnlyList<string> names, string path)
    {
        var nc = names.Count;
        var multi = NewMultiplot();
        var counts = new double[nc];
        foreach (var l in labels) if ((int)l[0] < nc) counts[(int)l[0]]++;
        var bars = NewPlot();
        for (var c = 0; c < nc; c++)
        {
            var bar = bars.Add.Bar(c, counts[c]);
            bar.Color = ToColor(BatchImages.ColorOf(c));
        }
        bars.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(Enumerable.Range(0, nc).Select(i => (double)i).ToArray(), names.ToArray());
        if (nc > 8) bars.Axes.Bottom.TickLabelStyle.Rotation = -90;
        bars.Axes.Margins(bottom: 0);
        bars.YLabel("instances");
        bars.Title($"{labels.Count} instances");

        var centres = NewPlot();
        var sizes = NewPlot();
        foreach (var c in Enumerable.Range(0, nc))
        {
            var of = labels.Where(l => (int)l[0] == c).ToList();
            if (of.Count == 0) continue;
            var a = centres.Add.ScatterPoints(of.Select(l => (double)l[1]).ToArray(), of.Select(l => 1.0 - l[2]).ToArray());
            var b = sizes.Add.ScatterPoints(of.Select(l => (double)l[3]).ToArray(), of.Select(l => (double)l[4]).ToArray());
            a.Color = b.Color = ToColor(BatchImages.ColorOf(c)).WithAlpha(0.5);
            a.MarkerSize = b.MarkerSize = 3;
        }
        centres.Axes.SetLimits(0, 1, 0, 1);
        centres.XLabel("x");
        centres.YLabel("y (from the bottom)");
        sizes.Axes.SetLimits(0, 1, 0, 1);
        sizes.XLabel("width");
        sizes.YLabel("height");

        var boxes = NewPlot();
        foreach (var l in labels.Take(500))
        {
            var r = boxes.Add.Rectangle(0.5 - l[3] / 2, 0.5 + l[3] / 2, 0.5 - l[4] / 2, 0.5 + l[4] / 2);
            r.FillStyle.Color = Colors.Transparent;
            r.LineStyle.Color = ToColor(BatchImages.ColorOf((int)l[0])).WithAlpha(0.6);
            r.LineStyle.Width = 1;
        }
        boxes.Axes.SetLimits(0, 1, 0, 1);
        boxes.Title("box shapes");
        boxes.HideGrid();

        foreach (var p in new[] { bars, boxes, centres, sizes }) multi.AddPlot(p);
        multi.Layout = new ScottPlot.MultiplotLayouts.Grid(2, 2);
        multi.Render(1000, 1000).SaveJpeg(path, 90);
    }

    static Color ToColor(SKColor c) => new(c.Red, c.Green, c.Blue, c.Alpha);
}
