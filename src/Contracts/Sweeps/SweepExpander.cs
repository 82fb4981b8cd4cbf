using YoloSweep.Contracts.Catalog;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Contracts.Sweeps;

/// <summary>Turns a sweep into its trials: model × scale × (the model's own knobs) × seed, identical trials merged.</summary>
public static class SweepExpander
{
    /// <summary>
    /// How many trials <see cref="Expand"/> would make, multiplied out without expanding anything (a double, so a
    /// 10^30 matrix is a number and not an overflow). Exact: knob values and seeds are already distinct.
    /// </summary>
    public static double CountTrials(SweepSpec spec)
    {
        double configs = 0;
        foreach (var modelName in spec.Models)
        {
            if (ModelCatalog.Find(modelName) is not { } model) continue;
            double perScale = 1;
            foreach (var knob in model.Knobs)
                if (spec.Knobs.TryGetValue(knob.Name, out var values) && values.Count > 0) perScale *= values.Count;
            configs += spec.Scales.Count(model.Scales.Contains) * perScale;
        }
        if (spec.Strategy.Kind == StrategyKind.Random) configs = Math.Min(configs, spec.Strategy.N);
        return configs * spec.Seeds.Count;
    }

    public static IReadOnlyList<TrialSpec> Expand(SweepSpec spec)
    {
        // The limit is checked before the first trial is made: a 4 KB file can name millions of them.
        var count = CountTrials(spec);
        if (count > SweepLimits.MaxTrials)
            throw new ArgumentException($"the sweep expands to {count:0} trials, more than the limit of {SweepLimits.MaxTrials}");
        // One configuration = a trial without its seed; the random strategy draws configurations, not seeds,
        // so every drawn configuration still gets error bars.
        var configs = new List<TrialSpec>();
        foreach (var modelName in spec.Models)
        {
            var model = ModelCatalog.Find(modelName) ?? throw new ArgumentException($"unknown model '{modelName}'");
            foreach (var scale in spec.Scales.Where(model.Scales.Contains))
            {
                foreach (var knobs in KnobCombinations(model, spec))
                {
                    configs.Add(new TrialSpec
                    {
                        Sweep = spec.Name, Model = model.Name, Scale = scale, Knobs = knobs, Seed = 0,
                        Data = spec.Data, Train = spec.Train, Gpus = spec.Gpus,
                    });
                }
            }
        }
        configs = configs.DistinctBy(c => c.Id).ToList();
        if (spec.Strategy.Kind == StrategyKind.Random && spec.Strategy.N < configs.Count)
        {
            var rng = new Random(spec.Strategy.Seed);
            configs = configs.OrderBy(_ => rng.Next()).Take(spec.Strategy.N).ToList();
        }
        return configs
            .SelectMany(c => spec.Seeds.Select(seed => c with { Seed = seed }))
            .DistinctBy(t => t.Id)
            .ToList();
    }

    /// <summary>Cartesian product of the swept values of the knobs this model has; its other knobs keep their defaults.</summary>
    static IEnumerable<SortedDictionary<string, string>> KnobCombinations(ModelInfo model, SweepSpec spec)
    {
        IEnumerable<SortedDictionary<string, string>> combos =
            [new SortedDictionary<string, string>(model.Knobs.ToDictionary(k => k.Name, k => k.Default), StringComparer.Ordinal)];
        foreach (var knob in model.Knobs)
        {
            if (!spec.Knobs.TryGetValue(knob.Name, out var values) || values.Count == 0) continue;
            combos = combos.SelectMany(c => values.Select(v => new SortedDictionary<string, string>(c, StringComparer.Ordinal) { [knob.Name] = v }));
        }
        return combos;
    }
}
