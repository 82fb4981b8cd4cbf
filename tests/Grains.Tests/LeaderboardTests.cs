using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Grains.Leaderboards;
using YoloSweep.Grains.Queries;
using YoloSweep.Contracts.Trials;


namespace YoloSweep.Grains.Tests;

public class LeaderboardTests
{
    static TrialResult R(string model, string knobs, int seed, double map, double gflops, double latency = 1, string scale = "n", string sweep = "s") =>
        new($"{model}{knobs}{seed}{scale}{sweep}", sweep, model, scale, knobs, seed,
            new TrialMetrics { Map50_95 = map, Map50 = map + 0.2, Gflops = gflops, LatencyMs = latency, Params = 1000, TrainSeconds = 10 });

    static readonly TrialResult[] Results =
    [
        R("yolov5", "", 0, 0.30, 4.0), R("yolov5", "", 1, 0.32, 4.0),
        R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=2", 0, 0.33, 3.5), R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=2", 1, 0.35, 3.5),
        R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=4", 0, 0.28, 3.0), R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=4", 1, 0.30, 3.0),
        R("yolov8", "", 0, 0.40, 8.0, latency: 3),
        R("yolov8-dsconv", "dsconv.bits=4 dsconv.block_size=8", 0, 0.38, 8.5, latency: 2),
    ];

    [Fact]
    public void Rows_aggregate_seeds_with_mean_and_std_and_rank_by_map50_95()
    {
        var rows = Leaderboard.Build(Results, new LeaderboardQuery());
        Assert.Equal(["yolov8", "yolov8-dsconv", "yolov5-c3faster", "yolov5", "yolov5-c3faster"], rows.Select(r => r.Model));
        var faster2 = rows[2];
        Assert.Equal(2, faster2.Seeds);
        Assert.Equal(0.34, faster2.Map50_95.Mean, 6);
        Assert.Equal(Math.Sqrt(0.0002), faster2.Map50_95.Std, 6);
        Assert.Equal(3, faster2.Rank);
    }

    [Fact]
    public void Delta_is_against_the_family_baseline_at_the_same_scale()
    {
        var rows = Leaderboard.Build(Results, new LeaderboardQuery());
        Assert.Equal(0.34 - 0.31, rows.Single(r => r.Knobs.Contains("n_div=2")).DeltaMap50_95!.Mean, 6);
        Assert.Equal(0.38 - 0.40, rows.Single(r => r.Model == "yolov8-dsconv").DeltaMap50_95!.Mean, 6);
        // A baseline is not compared with itself: no Δ, no verdict, and it names itself.
        var v5 = rows.Single(r => r.Model == "yolov5");
        Assert.Null(v5.DeltaMap50_95);
        Assert.Null(v5.Verdict);
        Assert.Equal("yolov5", v5.Baseline);
        Assert.Equal("yolov8", rows.Single(r => r.Model == "yolov8-dsconv").Baseline);
    }

    [Fact]
    public void Pareto_flags_mark_the_accuracy_cost_frontier()
    {
        var rows = Leaderboard.Build(Results, new LeaderboardQuery());
        // GFLOPs frontier: n_div=4 (3.0), n_div=2 (3.5), yolov8 (8.0); yolov5 and dsconv are dominated.
        Assert.Equal(["yolov5-c3faster pconv.mlp_ratio=2 pconv.n_div=2", "yolov5-c3faster pconv.mlp_ratio=2 pconv.n_div=4", "yolov8 "],
            rows.Where(r => r.ParetoGflops).Select(r => $"{r.Model} {r.Knobs}").Order());
        // Latency: dsconv (2 ms, 0.38) is not dominated by yolov8 (3 ms, 0.40).
        Assert.True(rows.Single(r => r.Model == "yolov8-dsconv").ParetoLatency);
        Assert.False(rows.Single(r => r.Model == "yolov5").ParetoLatency);
    }

    [Fact]
    public void Group_by_a_knob_filter_sort_and_top()
    {
        var byKnob = Leaderboard.Build(Results, new LeaderboardQuery { GroupBy = ["model", "pconv.n_div"], Model = "yolov5-c3faster" });
        Assert.Equal(["pconv.n_div=2", "pconv.n_div=4"], byKnob.Select(r => r.Knobs));
        Assert.Equal(0.34 - 0.31, byKnob[0].DeltaMap50_95!.Mean, 6); // baseline still found though filtered out

        var cheapest = Leaderboard.Build(Results, new LeaderboardQuery { Sort = "gflops", Ascending = true, Top = 2 });
        Assert.Equal([3.0, 3.5], cheapest.Select(r => r.Gflops));
        Assert.Throws<ArgumentException>(() => Leaderboard.Build(Results, new LeaderboardQuery { Sort = "bogus" }));
        Assert.Throws<ArgumentException>(() => Leaderboard.Build(Results, new LeaderboardQuery { GroupBy = ["bogus"] }));
    }

    [Fact]
    public void Across_sweeps_identical_configurations_pool_their_seeds_and_a_sweep_filter_separates_them()
    {
        var results = Results.Append(R("yolov5", "", 2, 0.34, 4.0, sweep: "other")).ToList();
        var across = Leaderboard.Build(results, new LeaderboardQuery());
        var v5 = across.Single(r => r.Model == "yolov5");
        Assert.Equal(3, v5.Seeds);
        Assert.Equal("other,s", v5.Sweeps);
        var only = Leaderboard.Build(results, new LeaderboardQuery { Sweep = "other" });
        Assert.Equal(0.34, Assert.Single(only).Map50_95.Mean, 6);
    }

    [Fact]
    public void Group_by_a_knob_answers_for_rows_with_odd_knob_strings_stored_by_earlier_versions()
    {
        // Before knob values were canonical, " 2" went in as a value with a space, and a name could appear twice.
        var odd = Results.Append(R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div= 2", 0, 0.31, 3.5))
            .Append(R("yolov5-c3faster", "pconv.n_div=2 pconv.n_div=02 stray", 0, 0.29, 3.5)).ToList();
        var rows = Leaderboard.Build(odd, new LeaderboardQuery { GroupBy = ["model", "pconv.n_div"], Model = "yolov5-c3faster" });
        Assert.Equal(["pconv.n_div=", "pconv.n_div=02", "pconv.n_div=2", "pconv.n_div=4"], rows.Select(r => r.Knobs).Order(StringComparer.Ordinal));
        Assert.Equal(2, rows.Single(r => r.Knobs == "pconv.n_div=2").Seeds);
    }

    [Fact]
    public void Failed_seeds_are_counted_not_averaged_and_a_configuration_that_only_failed_ranks_last()
    {
        FailedTrial F(string model, string knobs, int seed) => new($"f{model}{knobs}{seed}", "s", model, "n", knobs, seed);
        var failed = new[] { F("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=2", 2), F("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=8", 0) };
        var rows = Leaderboard.Build(Results, failed, new LeaderboardQuery());
        var div2 = rows.Single(r => r.Knobs.EndsWith("n_div=2"));
        Assert.Equal((2, 1), (div2.Seeds, div2.FailedSeeds));
        Assert.Equal(0.34, div2.Map50_95.Mean, 6); // the failed seed is not a zero in the mean
        var onlyFailed = rows.Last();
        Assert.EndsWith("n_div=8", onlyFailed.Knobs);
        Assert.Equal((0, 1), (onlyFailed.Seeds, onlyFailed.FailedSeeds));
        Assert.Null(onlyFailed.DeltaMap50_95);
        Assert.False(onlyFailed.ParetoGflops || onlyFailed.ParetoLatency);
        Assert.Equal(rows.Count, onlyFailed.Rank);
    }

    [Fact]
    public void The_delta_is_paired_by_seed_with_an_interval_and_a_verdict()
    {
        // c3faster n_div=2 beats yolov5 by exactly 0.03 on both seeds: zero spread, so the interval is the point.
        var rows = Leaderboard.Build(Results, new LeaderboardQuery());
        var d = rows.Single(r => r.Knobs.EndsWith("n_div=2")).DeltaMap50_95!;
        Assert.True(d.Paired);
        Assert.Equal(2, d.N);
        Assert.Equal(0.03, d.CiLow!.Value, 9);
        Assert.Equal(Contracts.Statistics.Verdict.Better, rows.Single(r => r.Knobs.EndsWith("n_div=2")).Verdict);
        // One seed each (yolov8-dsconv vs yolov8): a mean, no interval, no evidence.
        var dsconv = rows.Single(r => r.Model == "yolov8-dsconv");
        Assert.Null(dsconv.DeltaMap50_95!.CiLow);
        Assert.Equal(Contracts.Statistics.Verdict.NoEvidence, dsconv.Verdict);
    }

    [Fact]
    public void Knob_effects_give_each_value_an_interval_and_each_value_a_delta_to_the_first()
    {
        var results = new[]
        {
            R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=16", 0, 0.20, 3), R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=16", 1, 0.24, 3),
            R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=2", 0, 0.30, 3), R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=2", 1, 0.36, 3),
            R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=4", 0, 0.28, 3), R("yolov5-c3faster", "pconv.mlp_ratio=2 pconv.n_div=4", 1, 0.30, 3),
        };
        var effect = Assert.Single(KnobEffects.Build(results)); // mlp_ratio is not swept: no entry
        Assert.Equal("pconv.n_div", effect.Knob);
        Assert.Equal(["2", "4", "16"], effect.Values.Select(v => v.Value)); // numeric order, not text order
        Assert.Equal(0.33, effect.Values[0].Mean, 9);
        // mean ± t(0.975, 1) · sd / √2 with sd = 0.06/√2: half-width 12.7062 · 0.03 = 0.381186
        Assert.Equal(0.33 - 12.7062047 * 0.03, effect.Values[0].CiLow!.Value, 5);
        Assert.Equal([("2", "4"), ("2", "16")], effect.Deltas.Select(d => (d.From, d.To)));
        var to16 = effect.Deltas[1];
        Assert.True(to16.Paired);
        Assert.Equal(0.22 - 0.33, to16.Mean, 9);
        // paired differences −0.10, −0.12: half-width 12.7062 · 0.01 straddles zero
        Assert.Equal(-0.11 + 12.7062047 * 0.01, to16.CiHigh!.Value, 5);
        Assert.Equal("no evidence (n=2)", to16.Difference.VerdictText);
    }
}
