using Orchestrator = YoloSweep.Grains.Catalog;
using Zoo = YoloSweep.Models;

namespace YoloSweep.EndToEnd.Tests;

/// <summary>The orchestrator validates sweeps against its own catalogue (src/Grains/Catalog: Grains must not depend on
/// libtorch, so it cannot read the model zoo). This holds it equal to the zoo (src/Models: ModelCatalog from the model
/// YAMLs, KnobRules): a sweep must accept exactly the models, scales and knob values the builder accepts.</summary>
public class CatalogueAgreementTests
{
    // Values around every bound either side states, plus malformed ones.
    static readonly string[] Probes =
    [
        "-1", "0", "1", "2", "3", "4", "8", "15", "16", "17", "32", "63", "64", "65", "1023", "1024", "1025", "4095", "4096", "4097",
        "2147483648", "0.5", "2.0", "1e3", "-0.5", "Infinity", "NaN", "", " ", "abc", "4x", "M0", "M1", "M2", "M3", "M4", "M5", "M6",
        "m0", "M 0",
    ];

    [Fact]
    public void Grains_catalogue_equals_the_model_zoo()
    {
        var zoo = Zoo.ModelCatalog.Models;
        var grains = Orchestrator.ModelCatalog.Models;
        var diffs = new List<string>();

        var zooNames = zoo.Select(m => m.Name).ToList();
        var grainsNames = grains.Select(m => m.Name).ToList();
        foreach (var n in zooNames.Except(grainsNames)) diffs.Add($"model {n}: in Models, missing from Grains");
        foreach (var n in grainsNames.Except(zooNames)) diffs.Add($"model {n}: in Grains, missing from Models");
        if (!zooNames.SequenceEqual(grainsNames) && diffs.Count == 0)
            diffs.Add($"model order: [{string.Join(", ", zooNames)}] in Models, [{string.Join(", ", grainsNames)}] in Grains");

        foreach (var z in zoo)
        {
            if (Orchestrator.ModelCatalog.Find(z.Name) is not { } g) continue;
            if (z.Baseline != g.Baseline) diffs.Add($"model {z.Name}: baseline {z.Baseline} in Models, {g.Baseline} in Grains");
            if (!z.Scales.SequenceEqual(g.Scales))
                diffs.Add($"model {z.Name}: scales [{string.Join(", ", z.Scales)}] in Models, [{string.Join(", ", g.Scales)}] in Grains");

            var gKnobs = g.Knobs.Select(k => k.Name).ToList();
            foreach (var k in z.Knobs.Keys.Except(gKnobs)) diffs.Add($"model {z.Name}: knob {k} in Models, missing from Grains");
            foreach (var k in gKnobs.Except(z.Knobs.Keys)) diffs.Add($"model {z.Name}: knob {k} in Grains, missing from Models");
            foreach (var (knob, zDefault) in z.Knobs)
            {
                if (g.Knob(knob) is not { } gk) continue;
                if (zDefault != gk.Default) diffs.Add($"model {z.Name}: knob {knob} default {zDefault} in Models, {gk.Default} in Grains");
                var zExpected = Zoo.KnobRules.Expected(knob);
                if (zExpected != gk.Expected) diffs.Add($"model {z.Name}: knob {knob} expects \"{zExpected}\" in Models, \"{gk.Expected}\" in Grains");
                if (!Zoo.KnobRules.IsValid(knob, zDefault)) diffs.Add($"model {z.Name}: knob {knob} default {zDefault} is not valid in Models");
                foreach (var v in Probes)
                {
                    bool zOk = Zoo.KnobRules.IsValid(knob, v), gOk = gk.IsValid(v);
                    if (zOk != gOk)
                        diffs.Add($"model {z.Name}: knob {knob} value '{v}' {(zOk ? "valid" : "invalid")} in Models, {(gOk ? "valid" : "invalid")} in Grains");
                }
            }
        }
        Assert.True(diffs.Count == 0, "the Grains catalogue (src/Grains/Catalog/ModelCatalog.cs) differs from the model zoo "
            + "(configs/models/*.yaml, src/Models/ModelCatalog.cs, KnobRules):\n  " + string.Join("\n  ", diffs));
    }

    [Fact]
    public void Every_zoo_knob_has_a_rule_and_the_probes_reach_both_sides_of_it()
    {
        var knobs = Zoo.ModelCatalog.Models.SelectMany(m => m.Knobs.Keys).Distinct().ToList();
        Assert.Equal(knobs.OrderBy(k => k), Zoo.KnobRules.Knobs.OrderBy(k => k));
        // A probe set that only hits valid (or only invalid) values would compare nothing.
        foreach (var k in knobs)
        {
            Assert.Contains(Probes, v => Zoo.KnobRules.IsValid(k, v));
            Assert.Contains(Probes, v => !Zoo.KnobRules.IsValid(k, v));
        }
    }
}
