using System.Globalization;
using System.Text;
using Spectre.Console;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Leaderboards;

namespace YoloSweep.Client.Output;

/// <summary>The leaderboard as a console table, JSON (an array of rows), CSV or a markdown table.</summary>
public static class LeaderboardOutput
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

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

    static string Pm(Stat s) => $"{s.Mean:0.0000} ± {s.Std:0.0000}";
    static string Delta(double? d) => d is { } v ? (v >= 0 ? "+" : "") + v.ToString("0.0000", Inv) : "";
    static string Pareto(LeaderboardRow r) => string.Join(" ", new[] { r.ParetoGflops ? "GFLOPs" : null, r.ParetoLatency ? "latency" : null }.OfType<string>());

    public static void Table(IReadOnlyList<LeaderboardRow> rows, TextWriter? writer = null, string? title = null)
    {
        var console = writer is null ? AnsiConsole.Console : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No });
        if (writer is not null) console.Profile.Width = 250; // a file or string: no terminal to fit
        if (rows.Count == 0) { console.WriteLine("(no finished trials yet)"); return; }
        var t = new Table().Border(TableBorder.Rounded);
        if (title is not null) t.Title(title);
        t.Caption("mean ± std over seeds · Δ vs the family baseline at the same scale · Pareto: G = on the mAP/GFLOPs front, L = on the mAP/latency front");
        var knobs = DistinguishingKnobs(rows);
        // A narrow terminal gets the columns that answer "which variant pays off, by how much, at what cost".
        var compact = console.Profile.Width < 150;
        var columns = compact
            ? new[] { "#", "model", "scale", "knobs", "mAP50-95", "Δ", "GFLOPs", "Pareto" }
            : new[] { "#", "model", "scale", "knobs", "seeds", "mAP50-95", "mAP50", "Δ mAP50-95", "params M", "GFLOPs", "latency ms", "train s", "Pareto" };
        foreach (var name in columns)
        {
            var c = new TableColumn(name);
            if (name is not ("model" or "scale" or "knobs" or "Pareto")) c.RightAligned();
            t.AddColumn(c);
        }
        foreach (var r in rows)
        {
            var delta = Delta(r.DeltaMap50_95);
            var cells = new Dictionary<string, string>
            {
                ["#"] = r.Rank.ToString(Inv), ["model"] = Markup.Escape(r.Model), ["scale"] = r.Scale, ["knobs"] = Markup.Escape(knobs(r)),
                ["seeds"] = r.Seeds.ToString(Inv), ["mAP50-95"] = Pm(r.Map50_95), ["mAP50"] = Pm(r.Map50),
                ["Δ mAP50-95"] = delta.Length == 0 ? "" : delta.StartsWith('-') ? $"[red]{delta}[/]" : $"[green]{delta}[/]",
                ["params M"] = (r.Params / 1e6).ToString("0.00", Inv), ["GFLOPs"] = r.Gflops.ToString("0.0", Inv),
                ["latency ms"] = r.LatencyMs.ToString("0.0", Inv), ["train s"] = r.TrainSeconds.ToString("0", Inv),
                ["Pareto"] = string.Join(" ", new[] { r.ParetoGflops ? "G" : null, r.ParetoLatency ? "L" : null }.OfType<string>()),
            };
            cells["Δ"] = cells["Δ mAP50-95"];
            t.AddRow(columns.Select(c => cells[c]).ToArray());
        }
        console.Write(t);
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
        var sb = new StringBuilder("rank,sweeps,model,scale,knobs,seeds,map50_95_mean,map50_95_std,map50_mean,map50_std,delta_map50_95,delta_map50,params,gflops,latency_ms,train_seconds,pareto_gflops,pareto_latency\n");
        static string Q(string s) => s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
        static string N(double? v) => v is { } x ? x.ToString("R", Inv) : "";
        foreach (var r in rows)
            sb.AppendJoin(',', r.Rank.ToString(Inv), Q(r.Sweeps), Q(r.Model), Q(r.Scale), Q(r.Knobs), r.Seeds.ToString(Inv),
                N(r.Map50_95.Mean), N(r.Map50_95.Std), N(r.Map50.Mean), N(r.Map50.Std), N(r.DeltaMap50_95), N(r.DeltaMap50),
                N(r.Params), N(r.Gflops), N(r.LatencyMs), N(r.TrainSeconds), r.ParetoGflops ? "true" : "false", r.ParetoLatency ? "true" : "false").Append('\n');
        return sb.ToString();
    }

    public static string Markdown(IReadOnlyList<LeaderboardRow> rows)
    {
        var sb = new StringBuilder("| # | model | scale | knobs | seeds | mAP50-95 | mAP50 | Δ mAP50-95 | params (M) | GFLOPs | latency ms | train s | Pareto |\n");
        sb.Append("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        static string E(string s) => s.Replace("|", "\\|");
        foreach (var r in rows)
            sb.Append($"| {r.Rank} | {E(r.Model)} | {r.Scale} | {E(r.Knobs)} | {r.Seeds} | {Pm(r.Map50_95)} | {Pm(r.Map50)} | {Delta(r.DeltaMap50_95)} | " +
                      $"{(r.Params / 1e6).ToString("0.00", Inv)} | {r.Gflops.ToString("0.0", Inv)} | {r.LatencyMs.ToString("0.0", Inv)} | {r.TrainSeconds.ToString("0", Inv)} | {Pareto(r)} |\n");
        return sb.ToString();
    }
}
