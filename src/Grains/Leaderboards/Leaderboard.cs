using YoloSweep.Grains.Catalog;
using YoloSweep.Grains.Stores;

namespace YoloSweep.Grains.Leaderboards;

/// <summary>Mean and sample standard deviation over seeds (0 when there is one seed).</summary>
public sealed record Stat(double Mean, double Std)
{
    /// <summary>From a count, a sum and a sum of squares (sample standard deviation).</summary>
    public static Stat FromSums(int n, double sum, double sumSq)
    {
        if (n == 0) return new Stat(0, 0);
        var mean = sum / n;
        var variance = n > 1 ? (sumSq - sum * sum / n) / (n - 1) : 0;
        // Rounding can leave a tiny negative or non-zero variance for identical values.
        return new Stat(mean, variance > 1e-18 * Math.Max(1, sumSq) ? Math.Sqrt(variance) : 0);
    }

    public static Stat Of(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) return new Stat(0, 0);
        var mean = xs.Average();
        var std = xs.Count > 1 ? Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)) : 0;
        return new Stat(mean, std);
    }
}

/// <summary>What to show: one sweep or all, how to group, sort, filter and cut.</summary>
public sealed record LeaderboardQuery
{
    public string? Sweep { get; init; }
    /// <summary>Dimensions that make a row: "model", "scale" and/or knob names. Empty = model, scale and every knob.</summary>
    public IReadOnlyList<string> GroupBy { get; init; } = [];
    public string Sort { get; init; } = "map50_95";
    public bool Ascending { get; init; }
    public string? Model { get; init; }
    public string? Scale { get; init; }
    public int? Top { get; init; }

    public static readonly string[] SortKeys = ["map50_95", "map50", "delta_map50_95", "params", "gflops", "latency_ms", "train_seconds", "model"];
}

/// <summary>One configuration aggregated over seeds.</summary>
public sealed record LeaderboardRow
{
    public int Rank { get; init; }
    public string Sweeps { get; init; } = "";
    public string Model { get; init; } = "";
    public string Scale { get; init; } = "";
    public string Knobs { get; init; } = "";
    public int Seeds { get; init; }
    public Stat Map50_95 { get; init; } = new(0, 0);
    public Stat Map50 { get; init; } = new(0, 0);
    public double Params { get; init; }
    public double Gflops { get; init; }
    public double LatencyMs { get; init; }
    public double TrainSeconds { get; init; }
    /// <summary>mAP50-95 minus the family baseline's at the same scale (null when the baseline did not run).</summary>
    public double? DeltaMap50_95 { get; init; }
    public double? DeltaMap50 { get; init; }
    public string? Baseline { get; init; }
    /// <summary>No other row is at least as accurate with fewer GFLOPs (resp. lower latency).</summary>
    public bool ParetoGflops { get; init; }
    public bool ParetoLatency { get; init; }
}

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
            var parsed = r.Knobs.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(k => k.Split('=', 2)).ToDictionary(k => k[0], k => k[1]);
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
