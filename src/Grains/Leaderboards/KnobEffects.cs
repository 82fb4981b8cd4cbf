using System.Globalization;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Contracts.Statistics;
using YoloSweep.Grains.Queries;

namespace YoloSweep.Grains.Leaderboards;

/// <summary>Per model, scale and swept knob of the results given (callers read one sweep's): the mAP50-95 of each value over seeds, and each value vs the first.</summary>
public static class KnobEffects
{
    public static IReadOnlyList<KnobEffect> Build(IEnumerable<TrialResult> results)
    {
        var effects = new List<KnobEffect>();
        foreach (var config in results.GroupBy(r => (r.Model, r.Scale)).OrderBy(g => g.Key))
        {
            var parsed = config.Select(r => (Result: r, Knobs: Leaderboard.ParseKnobs(r.Knobs))).ToList();
            foreach (var knob in parsed.SelectMany(p => p.Knobs.Keys).Distinct().Order(StringComparer.Ordinal))
            {
                // Values of this knob, the other knobs pooled (a sweep usually varies one knob per model).
                var byValue = parsed.Where(p => p.Knobs.ContainsKey(knob)).GroupBy(p => p.Knobs[knob])
                    .OrderBy(g => Numeric(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal)
                    .Select(g => (Value: g.Key, Seeds: g.Select(p => (p.Result.Seed, p.Result.Metrics.Map50_95)).ToList()))
                    .ToList();
                if (byValue.Count < 2) continue; // not swept: nothing to compare
                var values = byValue.Select(v =>
                {
                    var s = Stat.Of(v.Seeds.Select(x => x.Map50_95).ToList());
                    return new KnobValue(v.Value, v.Seeds.Count, s.Mean, s.CiLow, s.CiHigh);
                }).ToList();
                var first = byValue[0];
                var deltas = byValue.Skip(1).Select(v => KnobDelta.Of(first.Value, v.Value, Estimates.Compare(v.Seeds, first.Seeds))).ToList();
                effects.Add(new KnobEffect(config.Key.Model, config.Key.Scale, knob, values, deltas));
            }
        }
        return effects;
    }

    static double Numeric(string v) => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.PositiveInfinity;
}
