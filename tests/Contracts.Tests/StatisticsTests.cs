using YoloSweep.Contracts.Statistics;

namespace YoloSweep.Contracts.Tests;

/// <summary>
/// The figures against textbook values computed independently: R's t.test on Student's sleep data (the example in
/// R's own documentation) and t quantiles from printed tables.
/// </summary>
public class StatisticsTests
{
    // Student (1908) / Cushny & Peebles: extra hours of sleep under two drugs, the same ten patients.
    static readonly double[] Drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
    static readonly double[] Drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

    [Theory]
    [InlineData(1, 12.7062047)]
    [InlineData(2, 4.3026527)]
    [InlineData(9, 2.2621572)]
    [InlineData(30, 2.042272456)]
    [InlineData(1000, 1.9623391)]
    public void The_95_percent_critical_value_matches_the_t_table(double df, double expected) =>
        Assert.Equal(expected, Estimates.TCritical(df), 6);

    [Theory]
    [InlineData(2.0, 5, 0.1019395)]     // 2 * pt(-2, 5)
    [InlineData(4.0621, 9, 0.0028328)]  // the paired sleep t
    [InlineData(1.0, 1, 0.5)]           // Cauchy: P(|T| >= 1) = 1/2
    [InlineData(0.0, 7, 1.0)]
    public void Two_sided_p_values_match_R(double t, double df, double expected) =>
        Assert.Equal(expected, StudentT.TwoSidedP(t, df), 5);

    [Fact]
    public void Incomplete_beta_and_log_gamma_hit_closed_forms()
    {
        Assert.Equal(Math.Log(24), StudentT.LogGamma(5), 12);              // Γ(5) = 4!
        Assert.Equal(0.5 * Math.Log(Math.PI), StudentT.LogGamma(0.5), 12); // Γ(1/2) = √π
        Assert.Equal(0.3 * 0.3, StudentT.RegularizedIncompleteBeta(0.3, 2, 1), 12); // I_x(a, 1) = x^a
        Assert.Equal(1 - Math.Pow(0.7, 3), StudentT.RegularizedIncompleteBeta(0.3, 1, 3), 12); // I_x(1, b) = 1 − (1 − x)^b
    }

    [Fact]
    public void A_mean_interval_matches_R_t_test_on_one_sample()
    {
        // t.test(sleep$extra[1:10]): mean 0.75, 95 percent CI -0.5297804 2.0297804
        var s = Stat.Of(Drug1);
        Assert.Equal(0.75, s.Mean, 10);
        Assert.Equal(1.7890097, s.Std, 6);
        Assert.Equal(-0.5297804, s.CiLow!.Value, 6);
        Assert.Equal(2.0297804, s.CiHigh!.Value, 6);
    }

    [Fact]
    public void Paired_by_seed_matches_R_paired_t_test()
    {
        // t.test(extra[11:20], extra[1:10], paired = TRUE): t = 4.0621, df = 9, p = 0.002833, CI 0.7001142 2.4598858
        var variant = Drug2.Select((v, i) => (Seed: i, Value: v)).ToList();
        var baseline = Drug1.Select((v, i) => (Seed: i, Value: v)).Reverse().ToList(); // order must not matter: seeds pair
        var d = Estimates.Compare(variant, baseline);
        Assert.True(d.Paired);
        Assert.Equal(10, d.N);
        Assert.Equal(1.58, d.Mean, 10);
        Assert.Equal(0.7001142, d.CiLow!.Value, 6);
        Assert.Equal(2.4598858, d.CiHigh!.Value, 6);
        Assert.Equal(0.002833, d.PValue!.Value, 6);
        Assert.Equal(Verdict.Better, d.Verdict);
    }

    [Fact]
    public void Different_seeds_fall_back_to_Welch_matching_R()
    {
        // t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776, p = 0.07939, CI -3.3654832 0.2054832
        var variant = Drug1.Select((v, i) => (Seed: i, Value: v)).ToList();
        var baseline = Drug2.Select((v, i) => (Seed: 100 + i, Value: v)).ToList();
        var d = Estimates.Compare(variant, baseline);
        Assert.False(d.Paired);
        Assert.Equal((10, 10), (d.N, d.NBaseline));
        Assert.Equal(-1.58, d.Mean, 10);
        Assert.Equal(-3.3654832, d.CiLow!.Value, 5);
        Assert.Equal(0.2054832, d.CiHigh!.Value, 5);
        Assert.Equal(0.07939, d.PValue!.Value, 5);
        Assert.Equal(Verdict.NoEvidence, d.Verdict);
        Assert.Equal("no evidence (n=10+10)", d.VerdictText);
    }

    [Fact]
    public void Only_the_common_seeds_pair_and_one_common_seed_is_not_a_pairing()
    {
        var d = Estimates.Compare([(0, 0.5), (1, 0.6), (2, 0.9)], [(0, 0.4), (1, 0.45)]);
        Assert.True(d.Paired);
        Assert.Equal(2, d.N);
        Assert.Equal((0.1 + 0.15) / 2, d.Mean, 12);

        var welch = Estimates.Compare([(0, 0.5), (5, 0.6)], [(0, 0.4), (7, 0.45)]);
        Assert.False(welch.Paired);
        Assert.Equal(0.55 - 0.425, welch.Mean, 12);
    }

    [Fact]
    public void One_seed_gives_a_mean_without_an_interval_and_no_evidence()
    {
        var one = Stat.Of([0.42]);
        Assert.Equal(0.42, one.Mean);
        Assert.Equal(0, one.Std);
        Assert.Null(one.CiLow);
        Assert.Null(one.CiHigh);

        var d = Estimates.Compare([(0, 0.5)], [(0, 0.3)]);
        Assert.Equal(0.2, d.Mean, 12);
        Assert.Null(d.CiLow);
        Assert.Null(d.PValue);
        Assert.Equal(1, d.N);
        Assert.Equal(Verdict.NoEvidence, d.Verdict);
    }

    [Fact]
    public void Zero_variance_collapses_the_interval_onto_the_mean()
    {
        // Every seed improved by exactly 0.05: t = ∞, p = 0, the interval is the point.
        var d = Estimates.Compare([(0, 0.35), (1, 0.45), (2, 0.55)], [(0, 0.30), (1, 0.40), (2, 0.50)]);
        Assert.True(d.Paired);
        Assert.Equal(0.05, d.Mean, 12);
        Assert.Equal(0.05, d.CiLow!.Value, 12);
        Assert.Equal(0.05, d.CiHigh!.Value, 12);
        Assert.Equal(0, d.PValue);
        Assert.Equal(Verdict.Better, d.Verdict);

        // Identical on both sides: no difference, p = 1.
        var same = Estimates.Compare([(0, 0.3), (1, 0.3)], [(5, 0.3), (6, 0.3)]);
        Assert.Equal((0.0, 0.0, 1.0), (same.CiLow!.Value, same.CiHigh!.Value, same.PValue!.Value));
        Assert.Equal(Verdict.NoEvidence, same.Verdict);

        var constant = Stat.Of([0.3, 0.3, 0.3]);
        Assert.Equal(0, constant.Std);
        Assert.Equal((0.3, 0.3), (constant.CiLow!.Value, constant.CiHigh!.Value));
    }

    [Fact]
    public void A_seed_twice_on_one_side_cannot_pair()
    {
        // Pooling two knob values with the same seeds: seed 0 appears twice, so pairing by seed is undefined.
        var d = Estimates.Compare([(0, 0.5), (0, 0.52), (1, 0.6)], [(0, 0.4), (1, 0.45)]);
        Assert.False(d.Paired);
        Assert.Equal((3, 2), (d.N, d.NBaseline));
    }

    [Fact]
    public void The_json_shape_carries_nulls_and_snake_case_names()
    {
        var json = Json.Serialize(new Difference(0.2, null, null, null, 1, true, 1));
        Assert.Equal("""{"mean":0.2,"ci_low":null,"ci_high":null,"p_value":null,"n":1,"paired":true,"n_baseline":1}""", json);
        Assert.Equal("no_evidence", Json.EnumName<Verdict>(Verdict.NoEvidence));
    }
}
