using YoloSweep.Contracts.Catalog;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Contracts.Statistics;
using YoloSweep.Grains.Queries;

namespace YoloSweep.Grains.Leaderboards;

/// <summary>
/// Answers "which variant pays off, at which scale, by how much, and is it real" from the per-seed final results:
/// one row per configuration with the mean and 95 % interval over seeds, the Δ vs the family baseline at the same
/// scale with its interval, p-value and verdict (<see cref="Estimates"/>), the seeds that failed, and Pareto flags.
/// </summary>
public static class Leaderboard
{
    /// <summary>The leaderboard of what a database holds (the API, the CLI's local reads and the report use this).</summary>
    public static async Task<IReadOnlyList<LeaderboardRow>> ReadAsync(ReadModel store, LeaderboardQuery query, CancellationToken ct = default) =>
        Build(await store.ListResultsAsync(query.Sweep, ct), await store.ListFailedAsync(query.Sweep, ct), query);

    public static IReadOnlyList<LeaderboardRow> Build(IEnumerable<TrialResult> results, LeaderboardQuery query) =>
        Build(results, [], query);

    public static IReadOnlyList<LeaderboardRow> Build(IEnumerable<TrialResult> results, IEnumerable<FailedTrial> failed, LeaderboardQuery query)
    {
        if (!LeaderboardQuery.SortKeys.Contains(query.Sort))
            throw new ArgumentException($"unknown sort key '{query.Sort}'; use one of {string.Join(", ", LeaderboardQuery.SortKeys)}");
        var knownDims = new[] { "model", "scale" }.Concat(ModelCatalog.AllKnobNames).ToList();
        foreach (var g in query.GroupBy.Where(g => !knownDims.Contains(g)))
            throw new ArgumentException($"cannot group by '{g}'; use model, scale or a knob ({string.Join(", ", ModelCatalog.AllKnobNames)})");

        var inSweep = results.Where(r => query.Sweep is null || r.Sweep == query.Sweep).ToList();
        var failedInSweep = failed.Where(f => query.Sweep is null || f.Sweep == query.Sweep).ToList();
        // Baselines come from every row of the sweep, so Δ stays available when filtering on a variant.
        var groups = GroupSeeds(inSweep, failedInSweep, query);
        var byKey = groups.ToDictionary(g => (g.Model, g.Scale, g.Knobs));

        var rows = groups
            .Where(g => query.Model is null || g.Model == query.Model)
            .Where(g => query.Scale is null || g.Scale == query.Scale)
            .Select(g => ToRow(g, BaselineOf(g, byKey, query)))
            .ToList();

        var measured = rows.Where(r => r.Seeds > 0).ToList();
        rows = rows.Select(r => r.Seeds == 0 ? r : r with
        {
            ParetoGflops = !measured.Any(o => Dominates(o.Map50_95.Mean, o.Gflops, r.Map50_95.Mean, r.Gflops)),
            ParetoLatency = !measured.Any(o => Dominates(o.Map50_95.Mean, o.LatencyMs, r.Map50_95.Mean, r.LatencyMs)),
        }).ToList();

        Func<LeaderboardRow, object> key = query.Sort switch
        {
            "map50" => r => r.Map50.Mean,
            "delta_map50_95" => r => r.DeltaMap50_95?.Mean ?? double.NegativeInfinity,
            "params" => r => r.Params,
            "gflops" => r => r.Gflops,
            "latency_ms" => r => r.LatencyMs,
            "train_seconds" => r => r.TrainSeconds,
            "model" => r => r.Model,
            _ => r => r.Map50_95.Mean,
        };
        // Configurations with no succeeded seed have no figures to rank by: they come last whatever the order.
        var sorted = query.Ascending ? rows.OrderBy(r => r.Seeds == 0).ThenBy(key) : rows.OrderBy(r => r.Seeds == 0).ThenByDescending(key);
        var ranked = sorted.ThenBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Scale, StringComparer.Ordinal).ThenBy(r => r.Knobs, StringComparer.Ordinal)
            .Select((r, i) => r with { Rank = i + 1 });
        return (query.Top is { } top ? ranked.Take(top) : ranked).ToList();
    }

    /// <summary>One configuration's seeds: what succeeded, with their values, and how many failed.</summary>
    sealed record Group(string Model, string Scale, string Knobs, IReadOnlyList<TrialResult> Results, int Failed, string Sweeps)
    {
        public IReadOnlyList<(int Seed, double Value)> Seeds(Func<TrialResult, double> metric) => Results.Select(r => (r.Seed, metric(r))).ToList();
    }

    static Group? BaselineOf(Group g, Dictionary<(string, string, string), Group> byKey, LeaderboardQuery query)
    {
        var baseline = ModelCatalog.BaselineOf(g.Model);
        var knobs = g.Model == baseline ? g.Knobs : query.GroupBy.Count == 0 ? "" : KnobsOfBaseline(g.Knobs);
        return byKey.GetValueOrDefault((baseline, g.Scale, knobs));
    }

    static LeaderboardRow ToRow(Group g, Group? baseline)
    {
        var ok = g.Results;
        double Mean(Func<TrialResult, double> f) => ok.Count == 0 ? 0 : ok.Average(f);
        // A baseline is not compared with itself; a Δ needs a succeeded seed on both sides.
        var compare = baseline is not null && !ReferenceEquals(baseline, g) && ok.Count > 0 && baseline.Results.Count > 0;
        var d95 = compare ? Estimates.Compare(g.Seeds(r => r.Metrics.Map50_95), baseline!.Seeds(r => r.Metrics.Map50_95)) : null;
        var d50 = compare ? Estimates.Compare(g.Seeds(r => r.Metrics.Map50), baseline!.Seeds(r => r.Metrics.Map50)) : null;
        return new LeaderboardRow
        {
            Sweeps = g.Sweeps, Model = g.Model, Scale = g.Scale, Knobs = g.Knobs,
            Seeds = ok.Count, FailedSeeds = g.Failed,
            Map50_95 = Stat.Of(ok.Select(r => r.Metrics.Map50_95).ToList()),
            Map50 = Stat.Of(ok.Select(r => r.Metrics.Map50).ToList()),
            Params = Mean(r => r.Metrics.Params), Gflops = Mean(r => r.Metrics.Gflops),
            LatencyMs = Mean(r => r.Metrics.LatencyMs), TrainSeconds = Mean(r => r.Metrics.TrainSeconds),
            Baseline = baseline is null ? null : ModelCatalog.BaselineOf(g.Model),
            DeltaMap50_95 = d95, DeltaMap50 = d50, Verdict = d95?.Verdict,
        };
    }

    // With group-by a knob, the baseline (which has no knobs) shows "k=-" for it.
    static string KnobsOfBaseline(string knobs) =>
        string.Join(" ", knobs.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(k => k.Split('=')[0] + "=-"));

    static bool Dominates(double accA, double costA, double accB, double costB) =>
        accA >= accB && costA <= costB && (accA > accB || costA < costB);

    static List<Group> GroupSeeds(IReadOnlyList<TrialResult> results, IReadOnlyList<FailedTrial> failed, LeaderboardQuery query)
    {
        var byModel = query.GroupBy.Count == 0 || query.GroupBy.Contains("model");
        var byScale = query.GroupBy.Count == 0 || query.GroupBy.Contains("scale");
        var knobDims = query.GroupBy.Where(g => g is not ("model" or "scale")).ToList();

        (string, string, string) Key(string model, string scale, string knobs) =>
            (byModel ? model : "*", byScale ? scale : "*", query.GroupBy.Count == 0 ? knobs : KnobKey(knobs, knobDims));

        var failedBy = failed.GroupBy(f => Key(f.Model, f.Scale, f.Knobs)).ToDictionary(g => g.Key, g => g.ToList());
        var groups = results.GroupBy(r => Key(r.Model, r.Scale, r.Knobs)).ToDictionary(g => g.Key, g => g.ToList());
        return groups.Keys.Union(failedBy.Keys).Select(k =>
        {
            var ok = groups.GetValueOrDefault(k) ?? [];
            var bad = failedBy.GetValueOrDefault(k) ?? [];
            var sweeps = ok.Select(r => r.Sweep).Concat(bad.Select(f => f.Sweep)).Distinct().Order(StringComparer.Ordinal);
            return new Group(k.Item1, k.Item2, k.Item3, ok, bad.Count, string.Join(",", sweeps));
        }).ToList();
    }

    // Tolerant of rows stored before knob values were canonical (a value with a space, a name twice): a query must
    // answer, never fail on what an earlier version let in.
    static string KnobKey(string knobs, IReadOnlyList<string> dims)
    {
        var parsed = ParseKnobs(knobs);
        return string.Join(" ", dims.Select(d => $"{d}={(parsed.TryGetValue(d, out var v) ? v : "-")}"));
    }

    internal static Dictionary<string, string> ParseKnobs(string knobs)
    {
        var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in knobs.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            if (pair.Split('=', 2) is [var name, var value]) parsed[name] = value;
        return parsed;
    }
}
