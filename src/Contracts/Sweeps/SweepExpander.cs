using YoloSweep.Contracts.Catalog;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Contracts.Sweeps;

/// <summary>Turns a sweep into its trials: model × scale × (the model's own knobs) × seed, identical trials merged.</summary>
public static class SweepExpander
{
    public static IReadOnlyList<TrialSpec> Expand(SweepSpec spec)
    {
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
