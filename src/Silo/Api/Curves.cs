using YoloSweep.Grains.Queries;

namespace YoloSweep.Silo.Api;

/// <summary>One metric at one epoch over a configuration's trials.</summary>
public sealed record CurveStat(double Mean, double Std, double Min, double Max);

/// <summary>One epoch of a configuration: how many trials reported it, and each metric's spread over them.</summary>
public sealed record CurvePoint(int Epoch, int N, IReadOnlyDictionary<string, CurveStat> Values);

/// <summary>The per-epoch curves of one configuration (model, scale, knobs) over its seeds.</summary>
public sealed record ConfigCurves(string Model, string Scale, string Knobs, int Trials, IReadOnlyList<int> Seeds,
    IReadOnlyList<string> Metrics, IReadOnlyList<CurvePoint> Epochs);

/// <summary>
/// The dashboard's curves, aggregated here rather than in the browser: a sweep of a thousand trials comes back as a
/// few dozen configurations instead of every epoch of every trial. Metric names: map50_95, map50, fitness, lr and
/// loss/NAME for each loss the trainer reported (box, cls, dfl, …).
/// </summary>
public static class Curves
{
    public const string LossPrefix = "loss/";

    public static IReadOnlyList<ConfigCurves> Aggregate(IEnumerable<SweepEpoch> epochs) =>
        epochs.GroupBy(e => (e.Model, e.Scale, e.Knobs))
            .Select(config =>
            {
                var points = config.GroupBy(e => e.Epoch.Epoch).OrderBy(g => g.Key).Select(g =>
                {
                    var values = new SortedDictionary<string, List<double>>(StringComparer.Ordinal);
                    void Add(string name, double v)
                    {
                        if (!double.IsFinite(v)) return;
                        if (!values.TryGetValue(name, out var list)) values[name] = list = [];
                        list.Add(v);
                    }
                    foreach (var e in g)
                    {
                        Add("map50_95", e.Epoch.Map50_95);
                        Add("map50", e.Epoch.Map50);
                        Add("fitness", e.Epoch.Fitness);
                        Add("lr", e.Epoch.Lr);
                        foreach (var (name, v) in e.Epoch.Losses) Add(LossPrefix + name, v);
                    }
                    return new CurvePoint(g.Key, g.Select(e => e.TrialId).Distinct().Count(),
                        values.ToDictionary(kv => kv.Key, kv => Stat(kv.Value), StringComparer.Ordinal));
                }).ToList();
                var metrics = points.SelectMany(p => p.Values.Keys).Distinct().OrderBy(Order).ThenBy(m => m, StringComparer.Ordinal).ToList();
                return new ConfigCurves(config.Key.Model, config.Key.Scale, config.Key.Knobs, config.Select(e => e.TrialId).Distinct().Count(),
                    config.Select(e => e.Seed).Distinct().Order().ToList(), metrics, points);
            })
            .OrderBy(c => c.Model, StringComparer.Ordinal).ThenBy(c => c.Scale, StringComparer.Ordinal).ThenBy(c => c.Knobs, StringComparer.Ordinal)
            .ToList();

    static int Order(string metric) => metric switch
    {
        "map50_95" => 0, "map50" => 1, "fitness" => 2, "lr" => 4, _ => 3,
    };

    static CurveStat Stat(List<double> xs)
    {
        var mean = xs.Average();
        var std = xs.Count > 1 ? Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)) : 0;
        return new CurveStat(mean, std, xs.Min(), xs.Max());
    }
}
