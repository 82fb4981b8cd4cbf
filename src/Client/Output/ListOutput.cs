using System.Globalization;
using System.Text;
using Spectre.Console;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Api;

namespace YoloSweep.Client.Output;

/// <summary>Sweeps and trials as console tables, JSON or CSV.</summary>
public static class ListOutput
{
    public static void Sweeps(IReadOnlyList<SweepView> sweeps, string format)
    {
        if (format == "json") { Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(sweeps, Json.Indented)); return; }
        var t = new Table().Border(TableBorder.Rounded).AddColumns("sweep", "status", "priority", "trials", "final", "pending", "running", "succeeded", "failed", "cancelled", "created");
        foreach (var s in sweeps)
        {
            int C(string k) => s.Counts.GetValueOrDefault(k);
            t.AddRow(Markup.Escape(s.Name), s.Status, s.Priority.ToString(CultureInfo.InvariantCulture), s.Total.ToString(), s.Finished.ToString(), C("pending").ToString(),
                (C("leased") + C("running")).ToString(), C("succeeded").ToString(), C("failed").ToString(), C("cancelled").ToString(), s.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss"));
        }
        AnsiConsole.Write(t);
    }

    public static void Trials(IReadOnlyList<TrialView> trials, string format)
    {
        switch (format)
        {
            case "json":
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(trials, Json.Indented));
                return;
            case "csv":
                var sb = new StringBuilder("id,sweep,model,scale,knobs,seed,state,attempt,epochs_done,epochs,map50_95,map50,host,error\n");
                static string Q(string? s) => s is null ? "" : s.IndexOfAny([',', '"', '\n']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
                foreach (var t in trials)
                    sb.AppendJoin(',', t.Id, Q(t.Sweep), t.Model, t.Scale, Q(Knobs(t)), t.Seed, t.State, t.Attempt, t.EpochsDone, t.Epochs,
                        t.Metrics?.Map50_95.ToString("R", CultureInfo.InvariantCulture) ?? "", t.Metrics?.Map50.ToString("R", CultureInfo.InvariantCulture) ?? "", Q(t.HostId), Q(t.Error)).Append('\n');
                Console.Write(sb);
                return;
        }
        var table = new Table().Border(TableBorder.Rounded).AddColumns("trial", "sweep", "model", "scale", "knobs", "seed", "state", "attempt", "epoch", "mAP50-95", "host / error");
        foreach (var t in trials)
            table.AddRow(t.Id, Markup.Escape(t.Sweep), t.Model, t.Scale, Markup.Escape(Knobs(t)), t.Seed.ToString(), StateMarkup(t.State), t.Attempt.ToString(),
                $"{t.EpochsDone}/{t.Epochs}", t.Metrics?.Map50_95.ToString("0.0000", CultureInfo.InvariantCulture) ?? "",
                Markup.Escape(t.Error ?? t.HostId ?? ""));
        AnsiConsole.Write(table);
    }

    public static string Knobs(TrialView t) => string.Join(" ", t.Knobs.Select(k => $"{k.Key}={k.Value}"));

    public static string StateMarkup(string state) => state switch
    {
        "succeeded" => "[green]succeeded[/]",
        "failed" => "[red]failed[/]",
        "running" => "[blue]running[/]",
        "leased" => "[blue]leased[/]",
        "cancelled" => "[grey]cancelled[/]",
        _ => state,
    };
}
