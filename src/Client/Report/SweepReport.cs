using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using YoloSweep.Client.Output;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Contracts.Statistics;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Client.Report;

/// <summary>
/// A self-contained ablation report of one sweep: the verdicts, the leaderboard with intervals, knob effects, cost
/// fronts, curves, failed trials, the sweep file, the machines and the date. Markdown (figures in a folder beside
/// it) or HTML (figures inlined, one file to mail around).
/// </summary>
public static class SweepReport
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    abstract record Block;
    sealed record Heading(string Text) : Block;
    sealed record Paragraph(string Text) : Block;
    sealed record Bullets(IReadOnlyList<string> Items) : Block;
    sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) : Block;
    sealed record Figure(string Name, byte[] Png, string Caption) : Block;
    sealed record Code(string Language, string Text) : Block;

    public static async Task<string> WriteAsync(IRunReads reads, string sweepName, string outPath, CancellationToken ct)
    {
        var html = Path.GetExtension(outPath).ToLowerInvariant() switch
        {
            ".html" or ".htm" => true,
            ".md" or ".markdown" => false,
            var e => throw new CliException($"--out must end in .md or .html (got '{e}')"),
        };
        var blocks = await BuildAsync(reads, sweepName, ct);
        var full = Path.GetFullPath(outPath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (html)
            await File.WriteAllTextAsync(full, Html(sweepName, blocks), ct);
        else
        {
            var figures = Path.ChangeExtension(full, null) + "_files";
            Directory.CreateDirectory(figures);
            foreach (var f in blocks.OfType<Figure>()) await File.WriteAllBytesAsync(Path.Combine(figures, f.Name), f.Png, ct);
            await File.WriteAllTextAsync(full, Markdown(blocks, Path.GetFileName(figures)), ct);
        }
        return full;
    }

    static async Task<List<Block>> BuildAsync(IRunReads reads, string name, CancellationToken ct)
    {
        var sweep = await reads.SweepAsync(name, ct);
        var rows = await reads.LeaderboardAsync(new LeaderboardQuery { Sweep = name }, ct);
        var effects = await reads.KnobEffectsAsync(name, ct);
        var trials = await reads.TrialsAsync(name, null, ct);
        var hosts = await reads.HostsAsync(ct);
        var version = typeof(SweepReport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "dev";

        var b = new List<Block>
        {
            new Paragraph($"Generated {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC by yolosweep {version.Split('+')[0]} on {Environment.MachineName} " +
                          $"({Environment.OSVersion.VersionString}, {CpuModel()}, {Environment.ProcessorCount} cores), from {reads.Source}."),
            new Paragraph($"Sweep `{sweep.Name}` submitted {sweep.CreatedAt:yyyy-MM-dd HH:mm} UTC, {sweep.Status}: " +
                          string.Join(", ", sweep.Counts.Select(c => $"{c.Value} {c.Key}")) + $" of {sweep.Total} trials."),
        };
        if (hosts.Count > 0)
            b.Add(new Paragraph("Trained on: " + string.Join("; ", hosts.Select(h => $"{h.Name} ({string.Join(", ", h.Devices.Select(d => d.Name))})")) + "."));

        b.Add(new Heading("Answer"));
        var compared = rows.Where(r => r.DeltaMap50_95 is not null).ToList();
        b.Add(compared.Count == 0
            ? new Paragraph("No variant could be compared with its baseline (a baseline did not run, or no seed of one side succeeded).")
            : new Bullets(compared.Select(r =>
                $"**{r.Model} {r.Scale} {r.Knobs}**".Replace("  ", " ") + $" vs {r.Baseline} {r.Scale}: Δ mAP50-95 {LeaderboardOutput.DeltaText(r.DeltaMap50_95)}" +
                (r.DeltaMap50_95!.PValue is { } p ? $", p = {LeaderboardOutput.PText(r.DeltaMap50_95)}" : "") +
                $" → **{r.DeltaMap50_95.VerdictText}**" + (r.FailedSeeds > 0 ? $" ({r.FailedSeeds} failed seed(s) left out)" : "")).ToList()));
        b.Add(new Paragraph(LeaderboardOutput.Legend + ". A verdict is better or worse only when the 95 % interval of Δ excludes 0; " +
                            "with few seeds the interval is wide (the t critical value is 12.7 for 2 seeds, 4.3 for 3) and the honest answer is no evidence."));

        b.Add(new Heading("Leaderboard"));
        b.Add(new Table(["#", "model", "scale", "knobs", "seeds", "mAP50-95 [95% CI]", "mAP50", "Δ mAP50-95 [95% CI]", "p", "verdict", "params M", "GFLOPs", "latency ms", "Pareto"],
            rows.Select(r => (IReadOnlyList<string>)[
                r.Rank.ToString(Inv), r.Model, r.Scale, r.Knobs, r.FailedSeeds == 0 ? r.Seeds.ToString(Inv) : $"{r.Seeds} ({r.FailedSeeds} failed)",
                r.Seeds == 0 ? "—" : MeanCi(r.Map50_95), r.Seeds == 0 ? "—" : ReportPlots.F(r.Map50.Mean),
                LeaderboardOutput.DeltaText(r.DeltaMap50_95), LeaderboardOutput.PText(r.DeltaMap50_95), LeaderboardOutput.VerdictText(r),
                (r.Params / 1e6).ToString("0.00", Inv), r.Gflops.ToString("0.0", Inv), r.LatencyMs.ToString("0.0", Inv),
                string.Join(" ", new[] { r.ParetoGflops ? "GFLOPs" : null, r.ParetoLatency ? "latency" : null }.OfType<string>())]).ToList()));

        if (effects.Count > 0)
        {
            b.Add(new Heading("Knob effects"));
            b.Add(new Table(["model", "scale", "knob", "value", "seeds", "mAP50-95 [95% CI]", "Δ vs first value [95% CI]", "p", "verdict"],
                effects.SelectMany(e => e.Values.Select((v, i) =>
                {
                    var diff = i == 0 ? null : e.Deltas[i - 1].Difference;
                    return (IReadOnlyList<string>)[e.Model, e.Scale, e.Knob, v.Value, v.N.ToString(Inv), MeanCi(new Stat(v.Mean, 0, v.CiLow, v.CiHigh)),
                        LeaderboardOutput.DeltaText(diff), LeaderboardOutput.PText(diff), diff?.VerdictText ?? "reference"];
                })).ToList()));
            foreach (var (e, i) in effects.Select((e, i) => (e, i)))
                b.Add(new Figure($"knob-{i + 1}.png", ReportPlots.KnobEffect(e), $"{e.Model} {e.Scale}: {e.Knob}"));
        }

        if (rows.Any(r => r.Seeds > 0))
        {
            b.Add(new Heading("Accuracy against cost"));
            b.Add(new Figure("pareto-gflops.png", ReportPlots.Pareto(rows, latency: false), "mAP50-95 vs GFLOPs; error bars: 95 % CI over seeds"));
            b.Add(new Figure("pareto-latency.png", ReportPlots.Pareto(rows, latency: true), "mAP50-95 vs latency (batch 1, measured alone on the host)"));

            b.Add(new Heading("Training curves"));
            var succeeded = trials.Where(t => t.State == "succeeded").ToList();
            var epochs = new Dictionary<string, IReadOnlyList<EpochReport>>();
            foreach (var t in succeeded) epochs[t.Id] = await reads.EpochsAsync(t.Id, ct);
            // Legend entries name only the knobs that vary within a model (as the leaderboard's labels do).
            var varying = succeeded.GroupBy(t => t.Model).ToDictionary(g => g.Key,
                g => g.SelectMany(t => t.Knobs).GroupBy(k => k.Key).Where(k => k.Select(x => x.Value).Distinct().Count() > 1).Select(k => k.Key).ToHashSet());
            string ConfigLabel(TrialView t) => $"{t.Model} {t.Scale} {string.Join(" ", t.Knobs.Where(k => varying[t.Model].Contains(k.Key)).Select(k => $"{k.Key}={k.Value}"))}".Trim();
            var configs = succeeded.GroupBy(ConfigLabel).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => (g.Key, (IReadOnlyList<IReadOnlyList<EpochReport>>)g.Select(t => epochs[t.Id]).ToList())).ToList();
            b.Add(new Figure("curves-map50-95.png", ReportPlots.Curves(configs, "mAP50-95", e => e.Map50_95), "validation mAP50-95 per epoch"));
            b.Add(new Figure("curves-map50.png", ReportPlots.Curves(configs, "mAP50", e => e.Map50), "validation mAP50 per epoch"));
            static double? Sum(EpochReport e, bool val) =>
                e.Losses.Where(kv => kv.Key.StartsWith("val/", StringComparison.Ordinal) == val).Select(kv => kv.Value).DefaultIfEmpty(double.NaN).Sum();
            b.Add(new Figure("curves-train-loss.png", ReportPlots.Curves(configs, "train loss", e => Sum(e, false)), "train loss (sum of the loss terms)"));
            if (epochs.Values.SelectMany(x => x).Any(e => e.Losses.Keys.Any(k => k.StartsWith("val/", StringComparison.Ordinal))))
                b.Add(new Figure("curves-val-loss.png", ReportPlots.Curves(configs, "val loss", e => Sum(e, true)), "validation loss (sum of the loss terms)"));
        }

        var failed = trials.Where(t => t.State == "failed").ToList();
        b.Add(new Heading("Failed trials"));
        b.Add(failed.Count == 0 ? new Paragraph("None.") : new Table(["trial", "model", "scale", "knobs", "seed", "attempts", "error"],
            failed.Select(t => (IReadOnlyList<string>)[t.Id, t.Model, t.Scale, ListOutput.Knobs(t), t.Seed.ToString(Inv), t.Attempt.ToString(Inv), t.Error ?? ""]).ToList()));

        b.Add(new Heading("Sweep file"));
        b.Add(new Code("yaml", sweep.SpecYaml?.TrimEnd() ?? ""));
        return b;
    }

    static string MeanCi(Stat s) => s.CiLow is { } lo && s.CiHigh is { } hi
        ? $"{ReportPlots.F(s.Mean)} [{ReportPlots.F(lo)}, {ReportPlots.F(hi)}]" : ReportPlots.F(s.Mean);

    static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?.Split(':', 2)[1].Trim() ?? System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException) { return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(); }
    }

    static string Markdown(IReadOnlyList<Block> blocks, string figureDir)
    {
        var sb = new StringBuilder();
        static string Cell(string s) => s.Replace("|", "\\|").Replace("\n", " ");
        foreach (var block in blocks)
        {
            switch (block)
            {
                case Heading h: sb.Append("## ").Append(h.Text).Append("\n\n"); break;
                case Paragraph p: sb.Append(p.Text).Append("\n\n"); break;
                case Bullets l: foreach (var i in l.Items) sb.Append("- ").Append(i).Append('\n'); sb.Append('\n'); break;
                case Table t:
                    sb.Append("| ").AppendJoin(" | ", t.Header.Select(Cell)).Append(" |\n|").AppendJoin("|", t.Header.Select(_ => "---")).Append("|\n");
                    foreach (var r in t.Rows) sb.Append("| ").AppendJoin(" | ", r.Select(Cell)).Append(" |\n");
                    sb.Append('\n');
                    break;
                case Figure f: sb.Append($"![{f.Caption}]({figureDir}/{f.Name})\n\n*{f.Caption}*\n\n"); break;
                case Code c: sb.Append("```").Append(c.Language).Append('\n').Append(c.Text).Append("\n```\n\n"); break;
            }
        }
        return "# Ablation report\n\n" + sb.ToString().TrimEnd() + "\n";
    }

    static string Html(string sweep, IReadOnlyList<Block> blocks)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        // **bold** is the one inline markup the blocks use.
        static string Inline(string s) => System.Text.RegularExpressions.Regex.Replace(E(s), @"\*\*(.+?)\*\*", "<b>$1</b>")
            .Replace("`", "");
        var sb = new StringBuilder($$"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Ablation report: {{E(sweep)}}</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
            table{border-collapse:collapse;margin:8px 0 16px} th,td{padding:4px 8px;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap}
            th{background:#f4f4f4} figure{margin:12px 0} img{max-width:100%;border:1px solid #eee} pre{background:#f7f7f7;padding:12px;overflow:auto}
            figcaption{color:#666;font-size:13px}
            </style></head><body><h1>Ablation report: {{E(sweep)}}</h1>

            """);
        foreach (var block in blocks)
        {
            switch (block)
            {
                case Heading h: sb.Append($"<h2>{E(h.Text)}</h2>\n"); break;
                case Paragraph p: sb.Append($"<p>{Inline(p.Text)}</p>\n"); break;
                case Bullets l: sb.Append("<ul>").AppendJoin("", l.Items.Select(i => $"<li>{Inline(i)}</li>")).Append("</ul>\n"); break;
                case Table t:
                    sb.Append("<table><thead><tr>").AppendJoin("", t.Header.Select(h => $"<th>{E(h)}</th>")).Append("</tr></thead><tbody>\n");
                    foreach (var r in t.Rows) sb.Append("<tr>").AppendJoin("", r.Select(c => $"<td>{E(c)}</td>")).Append("</tr>\n");
                    sb.Append("</tbody></table>\n");
                    break;
                case Figure f:
                    sb.Append($"<figure><img alt=\"{E(f.Caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(f.Png)}\"><figcaption>{E(f.Caption)}</figcaption></figure>\n");
                    break;
                case Code c: sb.Append($"<pre><code>{E(c.Text)}</code></pre>\n"); break;
            }
        }
        return sb.Append("</body></html>\n").ToString();
    }
}
