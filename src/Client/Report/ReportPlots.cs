using System.Globalization;
using ScottPlot;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Contracts.Trials;
using YoloSweep.Trainer.Reports;

namespace YoloSweep.Client.Report;

/// <summary>The report's figures as PNG bytes: Pareto fronts, per-epoch curves grouped by configuration, knob effects.</summary>
public static class ReportPlots
{
    const int Width = 900, Height = 560;

    static Plot NewPlot(string title, string x, string y)
    {
        var plt = new Plot();
        plt.Font.Set(RunPlots.FontFamily);
        plt.Title(title, size: 15);
        plt.XLabel(x, size: 13);
        plt.YLabel(y, size: 13);
        plt.Grid.MajorLineColor = Colors.Black.WithAlpha(0.12);
        return plt;
    }


    /// <summary>mAP50-95 (mean with its 95 % interval over seeds) against a cost; the non-dominated points joined.</summary>
    public static byte[] Pareto(IReadOnlyList<LeaderboardRow> rows, bool latency)
    {
        var cost = latency ? "latency ms (batch 1)" : "GFLOPs";
        var plt = NewPlot($"mAP50-95 vs {cost}", cost, "mAP50-95");
        var measured = rows.Where(r => r.Seeds > 0).ToList();
        double Cost(LeaderboardRow r) => latency ? r.LatencyMs : r.Gflops;
        var knobs = Output.LeaderboardOutput.DistinguishingKnobs(measured);
        string Label(LeaderboardRow r) => $"{r.Model} {r.Scale} {knobs(r)}".Trim();
        var palette = new ScottPlot.Palettes.Category10();
        var (xMin, xMax) = (measured.Select(Cost).DefaultIfEmpty(0).Min(), measured.Select(Cost).DefaultIfEmpty(1).Max());
        var (yMin, yMax) = (measured.Select(r => r.Map50_95.Mean).DefaultIfEmpty(0).Min(), measured.Select(r => r.Map50_95.Mean).DefaultIfEmpty(1).Max());
        var placed = new List<(double X, double Y, double Width)>();
        // Rough pixel geometry of the data area, to tell when two labels would overlap.
        double Px(double dx) => Math.Abs(dx) / Math.Max(1e-9, xMax - xMin) * 650;
        double Py(double dy) => Math.Abs(dy) / Math.Max(1e-9, yMax - yMin) * 380;
        foreach (var (r, i) in measured.Select((r, i) => (r, i)))
        {
            var color = palette.GetColor(i);
            var (x, y) = (Cost(r), r.Map50_95.Mean);
            plt.Add.Marker(x, y, MarkerShape.FilledCircle, 9, color);
            if (r.Map50_95.CiLow is { } lo && r.Map50_95.CiHigh is { } hi)
            {
                var bar = plt.Add.ErrorBar([x], [y], [hi - y]);
                bar.Color = color;
            }
            var text = plt.Add.Text(Label(r), x, y);
            text.LabelFontSize = 11;
            text.LabelFontName = RunPlots.FontFamily;
            text.LabelFontColor = color.Darken(0.3);
            // Labels of the right half go to the left of their point (they would leave the plot otherwise), and
            // labels of points that (nearly) coincide are stacked instead of printed over each other.
            var rightHalf = xMax > xMin && x > (xMin + xMax) / 2;
            text.LabelAlignment = rightHalf ? Alignment.MiddleRight : Alignment.MiddleLeft;
            text.LabelOffsetX = rightHalf ? -8 : 8;
            var width = 6.5 * Label(r).Length;
            var near = placed.Count(p => Py(p.Y - y) < 16 && Px(p.X - x) < Math.Max(p.Width, width) + 10);
            text.LabelOffsetY = 15 * near;
            placed.Add((x, y, width));
        }
        var front = measured.Where(r => latency ? r.ParetoLatency : r.ParetoGflops).OrderBy(Cost).ToList();
        if (front.Count > 1)
        {
            var line = plt.Add.ScatterLine(front.Select(Cost).ToArray(), front.Select(r => r.Map50_95.Mean).ToArray());
            line.LineColor = Colors.Black.WithAlpha(0.5);
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = "Pareto front";
        }
        plt.ShowLegend(Alignment.LowerRight);
        plt.Axes.Margins(left: 0.1, right: 0.1, bottom: 0.12, top: 0.12);
        return plt.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>One metric per epoch: per configuration the mean over its seeds and a min–max band.</summary>
    public static byte[] Curves(IReadOnlyList<(string Config, IReadOnlyList<IReadOnlyList<EpochReport>> Seeds)> configs, string metric, Func<EpochReport, double?> value)
    {
        var plt = NewPlot($"{metric} per epoch (mean over seeds, band = min–max)", "epoch", metric);
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var ((config, seeds), i) in configs.Select((c, i) => (c, i)))
        {
            var byEpoch = seeds.SelectMany(s => s).Select(e => (e.Epoch, V: value(e))).Where(e => e.V is { } v && double.IsFinite(v))
                .GroupBy(e => e.Epoch).OrderBy(g => g.Key).Select(g => (Epoch: (double)g.Key, Vs: g.Select(e => e.V!.Value).ToList())).ToList();
            if (byEpoch.Count == 0) continue;
            var xs = byEpoch.Select(e => e.Epoch).ToArray();
            var color = palette.GetColor(i);
            if (seeds.Count > 1)
            {
                var band = plt.Add.FillY(xs, byEpoch.Select(e => e.Vs.Min()).ToArray(), byEpoch.Select(e => e.Vs.Max()).ToArray());
                band.FillColor = color.WithAlpha(0.18);
                band.LineColor = Colors.Transparent;
            }
            var mean = plt.Add.ScatterLine(xs, byEpoch.Select(e => e.Vs.Average()).ToArray());
            mean.Color = color;
            mean.LineWidth = 2;
            mean.LegendText = $"{config} (n={seeds.Count})";
        }
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plt.ShowLegend(Alignment.UpperLeft);
        return plt.GetImageBytes(Width, Height, ImageFormat.Png);
    }

    /// <summary>Each swept knob's values: mean mAP50-95 over seeds with the 95 % interval as error bars.</summary>
    public static byte[] KnobEffect(KnobEffect effect)
    {
        var plt = NewPlot($"{effect.Model} {effect.Scale}: mAP50-95 by {effect.Knob} (95 % CI)", effect.Knob, "mAP50-95");
        var xs = effect.Values.Select((_, i) => (double)i).ToArray();
        var ys = effect.Values.Select(v => v.Mean).ToArray();
        var errs = effect.Values.Select(v => v.CiHigh is { } hi ? hi - v.Mean : 0).ToArray();
        var bars = plt.Add.ErrorBar(xs, ys, errs);
        bars.Color = Colors.C0;
        var points = plt.Add.ScatterPoints(xs, ys);
        points.MarkerSize = 10;
        points.Color = Colors.C0;
        plt.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xs, effect.Values.Select(v => $"{v.Value} (n={v.N})").ToArray());
        plt.Axes.SetLimitsX(-0.5, xs.Length - 0.5);
        return plt.GetImageBytes(Width, 420, ImageFormat.Png);
    }

    internal static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
}
