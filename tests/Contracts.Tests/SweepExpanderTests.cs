using YoloSweep.Contracts.Sweeps;

namespace YoloSweep.Contracts.Tests;

public class SweepExpanderTests
{
    static IReadOnlyList<Trials.TrialSpec> Expand(string yaml) => SweepExpander.Expand(SweepSpecParser.Parse(yaml));

    [Fact]
    public void Knobs_expand_only_for_the_models_that_have_them()
    {
        var trials = Expand("""
            name: s
            matrix:
              model: [yolov5, yolov5-c3faster, yolov8-dsconv]
              scale: [n, s]
              knobs: { pconv.n_div: [2, 4, 8], dsconv.block_size: [8, 32] }
            seeds: [0, 1]
            """);
        // yolov5: 1 config, c3faster: 3, dsconv: 2 → 6 configs × 2 scales × 2 seeds
        Assert.Equal(24, trials.Count);
        Assert.Equal(4, trials.Count(t => t.Model == "yolov5"));
        Assert.All(trials.Where(t => t.Model == "yolov5"), t => Assert.Empty(t.Knobs));
        Assert.Equal(["2", "4", "8"], trials.Where(t => t.Model == "yolov5-c3faster").Select(t => t.Knobs["pconv.n_div"]).Distinct().Order());
        // the other knobs of a model keep their defaults
        Assert.All(trials.Where(t => t.Model == "yolov5-c3faster"), t => Assert.Equal("2", t.Knobs["pconv.mlp_ratio"]));
        Assert.All(trials.Where(t => t.Model == "yolov8-dsconv"), t => Assert.Equal("4", t.Knobs["dsconv.bits"]));
        Assert.Equal(trials.Count, trials.Select(t => t.Id).Distinct().Count());
    }

    [Fact]
    public void Identical_trials_are_merged()
    {
        // n_div 4 is the default: listing it beside a model without the knob, and twice, must not duplicate trials.
        var trials = Expand("name: s\nmatrix: { model: [yolov5-c3faster, yolov5-c3faster], scale: [n, n], knobs: { pconv.n_div: [4, 4] } }\nseeds: [0, 0]\n");
        Assert.Single(trials);
    }

    [Fact]
    public void Trial_identity_is_a_stable_hash_of_the_resolved_settings()
    {
        var a = Expand("name: s\ntrain: { epochs: 3 }\nmatrix: { model: yolov5-c3faster }\n").Single();
        var b = Expand("# same sweep, written differently\nname: s\nmatrix:\n  model: [yolov5-c3faster]\n  knobs: { pconv.n_div: 4 }\ntrain:\n  epochs: 3\n").Single();
        var c = Expand("name: s\ntrain: { epochs: 4 }\nmatrix: { model: yolov5-c3faster }\n").Single();
        Assert.Equal(a.Id, b.Id);
        Assert.NotEqual(a.Id, c.Id);
        Assert.Matches("^[0-9a-f]{16}$", a.Id);
        Assert.Equal(a.Id, a.Id); // computed twice, same value
    }

    [Fact]
    public void Random_strategy_draws_n_configurations_each_with_every_seed_deterministically()
    {
        const string yaml = "name: s\nmatrix: { model: [yolov5-c3faster], scale: [n, s, m], knobs: { pconv.n_div: [1, 2, 4, 8] } }\nseeds: [0, 1]\nstrategy: { kind: random, n: 5, seed: 3 }\n";
        var first = Expand(yaml);
        var second = Expand(yaml);
        Assert.Equal(10, first.Count);
        Assert.Equal(5, first.Select(t => (t.Scale, t.KnobsText)).Distinct().Count());
        Assert.Equal(first.Select(t => t.Id), second.Select(t => t.Id));
    }

    [Fact]
    public void Scales_a_model_lacks_are_skipped_for_it_only()
    {
        var trials = Expand("name: s\nmatrix: { model: [yolov8, yolov10], scale: [n, b] }\n");
        Assert.Equal(["yolov10/b", "yolov10/n", "yolov8/n"], trials.Select(t => $"{t.Model}/{t.Scale}").Order());
    }
}
