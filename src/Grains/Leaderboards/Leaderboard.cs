using YoloSweep.Contracts.Catalog;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Grains.Queries;

namespace YoloSweep.Grains.Leaderboards;

/// <summary>Answers "which variant pays off, at which scale, by how much" from the succeeded trials.</summary>
public static class Leaderboard
{
    public static IReadOnlyList<LeaderboardRow> Build(IEnumerable<TrialResult> results, LeaderboardQuery query) =>
        Build(ResultGroup.Of(results), query);

    public static IReadOnlyList<LeaderboardRow> Build(IEnumerable<ResultGroup> results, LeaderboardQuery query)
    {
        if (!LeaderboardQuery.SortKeys.Contains(query.Sort))
            throw new ArgumentException($"unknown sort key '{query.Sort}'; use one of {string.Join(", ", LeaderboardQuery.SortKeys)}");
        var knownDims = new[] { "model", "scale" }.Concat(ModelCatalog.AllKnobNames).ToList();
        foreach (var g in query.GroupBy.Where(g => !knownDims.Contains(g)))
            throw new ArgumentException($"cannot group by '{g}'; use model, scale or a knob ({string.Join(", ", ModelCatalog.AllKnobNames)})");

        var groups = results.ToList();
        var filtered = groups
            .Where(r => query.Sweep is null || r.Sweep == query.Sweep)
            .Where(r => query.Model is null || r.Model == query.Model)
            .Where(r => query.Scale is null || r.Scale == query.Scale);
        // Baselines are looked up before the model filter so Δ stays available when filtering on a variant.
        var all = groups.Where(r => query.Sweep is null || r.Sweep == query.Sweep).ToList();

        var rows = Aggregate(filtered, query).ToList();
        var baselines = Aggregate(all, query).ToDictionary(r => (r.Model, r.Scale, r.Knobs));
        rows = rows.Select(r =>
        {
            var baseline = ModelCatalog.BaselineOf(r.Model);
            var baselineKnobs = r.Model == baseline ? r.Knobs : query.GroupBy.Count == 0 ? "" : KnobsOfBaseline(r.Knobs);
            if (!baselines.TryGetValue((baseline, r.Scale, baselineKnobs), out var b)) return r;
            return r with { Baseline = baseline, DeltaMap50_95 = r.Map50_95.Mean - b.Map50_95.Mean, DeltaMap50 = r.Map50.Mean - b.Map50.Mean };
        }).ToList();

        rows = rows.Select(r => r with
        {
            ParetoGflops = !rows.Any(o => Dominates(o.Map50_95.Mean, o.Gflops, r.Map50_95.Mean, r.Gflops)),
            ParetoLatency = !rows.Any(o => Dominates(o.Map50_95.Mean, o.LatencyMs, r.Map50_95.Mean, r.LatencyMs)),
        }).ToList();

        Func<LeaderboardRow, object> key = query.Sort switch
        {
            "map50" => r => r.Map50.Mean,
            "delta_map50_95" => r => r.DeltaMap50_95 ?? double.NegativeInfinity,
            "params" => r => r.Params,
            "gflops" => r => r.Gflops,
            "latency_ms" => r => r.LatencyMs,
            "train_seconds" => r => r.TrainSeconds,
            "model" => r => r.Model,
            _ => r => r.Map50_95.Mean,
        };
        var sorted = query.Ascending ? rows.OrderBy(key) : rows.OrderByDescending(key);
        var ranked = sorted.ThenBy(r => r.Model, StringComparer.Ordinal).ThenBy(r => r.Scale, StringComparer.Ordinal).ThenBy(r => r.Knobs, StringComparer.Ordinal)
            .Select((r, i) => r with { Rank = i + 1 });
        return (query.Top is { } top ? ranked.Take(top) : ranked).ToList();
    }

    // With group-by a knob, the baseline (which has no knobs) shows "k=-" for it.
    static string KnobsOfBaseline(string knobs) =>
        string.Join(" ", knobs.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(k => k.Split('=')[0] + "=-"));

    static bool Dominates(double accA, double costA, double accB, double costB) =>
        accA >= accB && costA <= costB && (accA > accB || costA < costB);

    static IEnumerable<LeaderboardRow> Aggregate(IEnumerable<ResultGroup> results, LeaderboardQuery query)
    {
        var byModel = query.GroupBy.Count == 0 || query.GroupBy.Contains("model");
        var byScale = query.GroupBy.Count == 0 || query.GroupBy.Contains("scale");
        var knobDims = query.GroupBy.Where(g => g is not ("model" or "scale")).ToList();

        string KnobKey(ResultGroup r)
        {
            if (query.GroupBy.Count == 0) return r.Knobs;
            // Tolerant of rows stored before knob values were canonical (a value with a space, a name twice):
            // a query must answer, never fail on what an earlier version let in.
            var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in r.Knobs.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                if (pair.Split('=', 2) is [var name, var value]) parsed[name] = value;
            return string.Join(" ", knobDims.Select(d => $"{d}={(parsed.TryGetValue(d, out var v) ? v : "-")}"));
        }

        return results
            .GroupBy(r => (Model: byModel ? r.Model : "*", Scale: byScale ? r.Scale : "*", Knobs: KnobKey(r)))
            .Select(g =>
            {
                var items = g.ToList();
                var n = items.Sum(i => i.N);
                return new LeaderboardRow
                {
                    Sweeps = string.Join(",", items.Select(i => i.Sweep).Distinct().Order(StringComparer.Ordinal)),
                    Model = g.Key.Model, Scale = g.Key.Scale, Knobs = g.Key.Knobs,
                    Seeds = n,
                    Map50_95 = Stat.FromSums(n, items.Sum(i => i.SumMap50_95), items.Sum(i => i.SumSqMap50_95)),
                    Map50 = Stat.FromSums(n, items.Sum(i => i.SumMap50), items.Sum(i => i.SumSqMap50)),
                    Params = items.Sum(i => i.SumParams) / n,
                    Gflops = items.Sum(i => i.SumGflops) / n,
                    LatencyMs = items.Sum(i => i.SumLatencyMs) / n,
                    TrainSeconds = items.Sum(i => i.SumTrainSeconds) / n,
                };
            });
    }
}
