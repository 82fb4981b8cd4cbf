using System.Globalization;
using Spectre.Console;
using YoloSweep.Grains.Queries;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Client.Embedded;

/// <summary>Live progress of every trial of a sweep (a Spectre.Console live table, or one line per change when not a terminal).</summary>
public static class ProgressView
{
    const int MaxRows = 30;

    public static async Task ShowAsync(ReadModel store, string sweep, IAnsiConsole console, bool interactive, CancellationToken ct)
    {
        if (!interactive)
        {
            var seen = new Dictionary<string, (TrialState, int)>();
            while (true)
            {
                var trials = await store.ListTrialsAsync(new TrialQuery(sweep), ct);
                var final = trials.Count(t => t.State.IsFinal());
                foreach (var t in trials)
                {
                    var key = (t.State, t.State == TrialState.Running ? t.Attempt : 0);
                    if (seen.TryGetValue(t.Id, out var before) && before == key) continue;
                    seen[t.Id] = key;
                    if (t.State == TrialState.Pending && t.Attempt == 0) continue;
                    console.WriteLine($"[{final}/{trials.Count}] {t.Id} {Describe(t)}: {t.State.ToDb()}" +
                        (t.Metrics is { } m ? $" mAP50-95 {m.Map50_95.ToString("0.0000", CultureInfo.InvariantCulture)}" : "") +
                        (t.StartEpoch > 1 ? $" (resumed at epoch {t.StartEpoch})" : "") +
                        (t.State is TrialState.Failed or TrialState.Pending && t.Error is not null ? $" ({t.Error})" : ""));
                }
                if (final == trials.Count) return;
                await Task.Delay(500, ct);
            }
        }

        var table = new Table().Border(TableBorder.Rounded);
        await console.Live(table).AutoClear(false).StartAsync(async ctx =>
        {
            while (true)
            {
                var trials = await store.ListTrialsAsync(new TrialQuery(sweep), ct);
                Render(table, trials);
                ctx.Refresh();
                if (trials.All(t => t.State.IsFinal())) return;
                await Task.Delay(500, ct);
            }
        });
    }

    static string Describe(Trial t) =>
        $"{t.Spec.Model} {t.Spec.Scale}{(t.Spec.Knobs.Count > 0 ? " " + t.Spec.KnobsText : "")} seed {t.Spec.Seed}";

    static void Render(Table table, IReadOnlyList<Trial> trials)
    {
        table.Rows.Clear();
        if (table.Columns.Count == 0) table.AddColumns("trial", "model", "scale", "knobs", "seed", "state", "progress", "mAP50-95", "attempt");
        var final = trials.Count(t => t.State.IsFinal());
        table.Title($"{final}/{trials.Count} trials final");
        // Running first, then finished, then waiting; cut long sweeps to what fits a screen.
        var shown = trials.OrderBy(t => t.State switch { TrialState.Running or TrialState.Leased => 0, TrialState.Pending => 2, _ => 1 })
            .ThenByDescending(t => t.UpdatedAt).Take(MaxRows).ToList();
        foreach (var t in shown)
        {
            var epochs = t.Spec.Train.Epochs;
            var done = t.State == TrialState.Succeeded ? epochs : Math.Min(t.EpochsDone, epochs);
            var width = 12;
            var filled = epochs > 0 ? (int)Math.Round(width * (double)done / epochs) : 0;
            var bar = $"[green]{new string('━', filled)}[/][grey]{new string('━', width - filled)}[/] {done}/{epochs}";
            table.AddRow(t.Id[..8], Markup.Escape(t.Spec.Model), t.Spec.Scale, Markup.Escape(t.Spec.KnobsText), t.Spec.Seed.ToString(CultureInfo.InvariantCulture),
                Output.ListOutput.StateMarkup(t.State.ToDb()), bar,
                t.Metrics?.Map50_95.ToString("0.0000", CultureInfo.InvariantCulture) ?? "", t.Attempt.ToString(CultureInfo.InvariantCulture));
        }
        if (trials.Count > shown.Count) table.Caption($"… and {trials.Count - shown.Count} more");
    }
}
