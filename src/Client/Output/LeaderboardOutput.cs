using System.Globalization;
using System.Text;
using Spectre.Console;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Contracts.Statistics;

namespace YoloSweep.Client.Output;

/// <summary>The leaderboard as a console table, JSON (an array of rows), CSV or a markdown table.</summary>
public static class LeaderboardOutput
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public const string Legend =
        "mean ± std over the succeeded seeds · Δ vs the family baseline at the same scale with its 95 % CI (paired by seed, else Welch) · " +
        "verdict at the 95 % level · Pareto: G = on the mAP/GFLOPs front, L = on the mAP/latency front";

    public static void Write(IReadOnlyList<LeaderboardRow> rows, string format, TextWriter? writer = null, string? title = null)
    {
        var w = writer ?? Console.Out;
        switch (format)
        {
            case "json": w.WriteLine(System.Text.Json.JsonSerializer.Serialize(rows, Json.Indented)); break;
            case "csv": w.Write(Csv(rows)); break;
            case "md": w.Write(Markdown(rows)); break;
            default: Table(rows, writer, title); break;
        }
    }

    static string F(double v) => v.ToString("0.0000", Inv);
    static string Signed(double v) => (v >= 0 ? "+" : "") + v.ToString("0.0000", Inv);
    static string Pm(LeaderboardRow r, Stat s) => r.Seeds == 0 ? "—" : $"{F(s.Mean)} ± {F(s.Std)}";
    static string Seeds(LeaderboardRow r) => r.FailedSeeds == 0 ? r.Seeds.ToString(Inv) : $"{r.Seeds} ({r.FailedSeeds} failed)";

    /// <summary>"+0.0300 [-0.0100, +0.0700]", or the mean alone when the seeds give no interval.</summary>
    public static string DeltaText(Difference? d) => d is null ? "" :
        d.CiLow is { } lo && d.CiHigh is { } hi ? $"{Signed(d.Mean)} [{Signed(lo)}, {Signed(hi)}]" : Signed(d.Mean);

    public static string PText(Difference? d) => d?.PValue is { } p ? (p < 0.001 ? "<0.001" : p.ToString("0.000", Inv)) : "";
    public static string VerdictText(LeaderboardRow r) => r.DeltaMap50_95?.VerdictText ?? (r.Baseline == r.Model ? "baseline" : "");
    static string Pareto(LeaderboardRow r) => string.Join(" ", new[] { r.ParetoGflops ? "G" : null, r.ParetoLatency ? "L" : null }.OfType<string>());

    public static void Table(IReadOnlyList<LeaderboardRow> rows, TextWriter? writer = null, string? title = null)
    {
        var console = writer is null ? AnsiConsole.Console : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No });
        if (writer is not null) console.Profile.Width = 250; // a file or string: no terminal to fit
        if (rows.Count == 0) { console.WriteLine("(no finished trials yet)"); return; }
        var t = new Table().Border(TableBorder.Rounded);
        if (title is not null) t.Title(title);
        t.Caption(Legend);
        var knobs = DistinguishingKnobs(rows);
        // A narrow terminal gets the columns that answer "which variant pays off, is it real, at what cost".
        var compact = console.Profile.Width < 170;
        var columns = compact
            ? new[] { "#", "model", "scale", "knobs", "mAP50-95", "Δ mAP50-95 [95% CI]", "verdict", "GFLOPs", "Pareto" }
            : new[] { "#", "model", "scale", "knobs", "seeds", "mAP50-95", "mAP50", "Δ mAP50-95 [95% CI]", "p", "verdict", "params M", "GFLOPs", "latency ms", "train s", "Pareto" };
        foreach (var name in columns)
        {
            var c = new TableColumn(Markup.Escape(name));
            if (name is not ("model" or "scale" or "knobs" or "verdict" or "Pareto")) c.RightAligned();
            t.AddColumn(c);
        }
        foreach (var r in rows)
        {
            var verdict = VerdictText(r);
            var cells = new Dictionary<string, string>
            {
                ["#"] = r.Rank.ToString(Inv), ["model"] = Markup.Escape(r.Model), ["scale"] = r.Scale, ["knobs"] = Markup.Escape(knobs(r)),
                ["seeds"] = Seeds(r), ["mAP50-95"] = Pm(r, r.Map50_95), ["mAP50"] = Pm(r, r.Map50),
                ["Δ mAP50-95 [95% CI]"] = Markup.Escape(DeltaText(r.DeltaMap50_95)), ["p"] = PText(r.DeltaMap50_95),
                ["verdict"] = verdict switch { "better" => "[green]better[/]", "worse" => "[red]worse[/]", _ => Markup.Escape(verdict) },
                ["params M"] = (r.Params / 1e6).ToString("0.00", Inv), ["GFLOPs"] = r.Gflops.ToString("0.0", Inv),
                ["latency ms"] = r.LatencyMs.ToString("0.0", Inv), ["train s"] = r.TrainSeconds.ToString("0", Inv),
                ["Pareto"] = Pareto(r),
            };
            t.AddRow(columns.Select(c => cells[c]).ToArray());
        }
        console.Write(t);
        if (rows.Any(r => r.FailedSeeds > 0))
            console.WriteLine($"{rows.Sum(r => r.FailedSeeds)} failed seed(s) are counted in 'seeds' and left out of every figure.");
    }

    /// <summary>
    /// For the console table only: per model, hide knobs that have the same value in every row (e.g. an unswept
    /// default), so the column shows what tells the rows apart. json/csv/md keep every knob.
    /// </summary>
    static Func<LeaderboardRow, string> DistinguishingKnobs(IReadOnlyList<LeaderboardRow> rows)
    {
        static (string Key, string Value)[] Parse(string knobs) =>
            knobs.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(k => k.Split('=', 2)).Select(k => (k[0], k.Length > 1 ? k[1] : "")).ToArray();
        var constant = rows.GroupBy(r => r.Model).ToDictionary(g => g.Key, g =>
            g.SelectMany(r => Parse(r.Knobs)).GroupBy(k => k.Key).Where(k => k.Select(x => x.Value).Distinct().Count() == 1 && g.Count() > 1)
             .Select(k => k.Key).ToHashSet());
        return r => string.Join(" ", Parse(r.Knobs).Where(k => !constant[r.Model].Contains(k.Key)).Select(k => $"{k.Key}={k.Value}"));
    }

    public static string Csv(IReadOnlyList<LeaderboardRow> rows)
    {
        var sb = new StringBuilder("rank,sweeps,model,scale,knobs,seeds,failed_seeds,map50_95_mean,map50_95_std,map50_95_ci_low,map50_95_ci_high," +
            "map50_mean,map50_std,baseline,delta_map50_95,delta_map50_95_ci_low,delta_map50_95_ci_high,delta_map50_95_p,delta_n,delta_paired," +
            "delta_map50,delta_map50_ci_low,delta_map50_ci_high,delta_map50_p,verdict,params,gflops,latency_ms,train_seconds,pareto_gflops,pareto_latency\n");
        static string Q(string? s) => s is null ? "" : s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
        static string N(double? v) => v is { } x ? x.ToString("R", Inv) : "";
        foreach (var r in rows)
        {
            var d = r.DeltaMap50_95;
            var d50 = r.DeltaMap50;
            sb.AppendJoin(',', r.Rank.ToString(Inv), Q(r.Sweeps), Q(r.Model), Q(r.Scale), Q(r.Knobs), r.Seeds.ToString(Inv), r.FailedSeeds.ToString(Inv),
                N(r.Map50_95.Mean), N(r.Map50_95.Std), N(r.Map50_95.CiLow), N(r.Map50_95.CiHigh), N(r.Map50.Mean), N(r.Map50.Std), Q(r.Baseline),
                N(d?.Mean), N(d?.CiLow), N(d?.CiHigh), N(d?.PValue), d?.N.ToString(Inv) ?? "", d is null ? "" : d.Paired ? "true" : "false",
                N(d50?.Mean), N(d50?.CiLow), N(d50?.CiHigh), N(d50?.PValue), Json.EnumName(r.Verdict),
                N(r.Params), N(r.Gflops), N(r.LatencyMs), N(r.TrainSeconds), r.ParetoGflops ? "true" : "false", r.ParetoLatency ? "true" : "false").Append('\n');
        }
        return sb.ToString();
    }

    public static string Markdown(IReadOnlyList<LeaderboardRow> rows)
    {
        var sb = new StringBuilder("| # | model | scale | knobs | seeds | mAP50-95 | mAP50 | Δ mAP50-95 [95% CI] | p | verdict | params (M) | GFLOPs | latency ms | train s | Pareto |\n");
        sb.Append("|---:|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|\n");
        static string E(string s) => s.Replace("|", "\\|");
        foreach (var r in rows)
            sb.Append($"| {r.Rank} | {E(r.Model)} | {r.Scale} | {E(r.Knobs)} | {Seeds(r)} | {Pm(r, r.Map50_95)} | {Pm(r, r.Map50)} | {DeltaText(r.DeltaMap50_95)} | " +
                      $"{PText(r.DeltaMap50_95)} | {VerdictText(r)} | {(r.Params / 1e6).ToString("0.00", Inv)} | {r.Gflops.ToString("0.0", Inv)} | " +
                      $"{r.LatencyMs.ToString("0.0", Inv)} | {r.TrainSeconds.ToString("0", Inv)} | {Pareto(r)} |\n");
        return sb.ToString();
    }
}
