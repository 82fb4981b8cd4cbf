using System.Text.Json.Serialization;

namespace YoloSweep.Contracts.Statistics;

/// <summary>
/// A mean over seeds with its sample standard deviation and 95 % confidence interval (Student t, n − 1 degrees of
/// freedom). The interval is null for one seed: one value says nothing about the spread.
/// </summary>
public sealed record Stat(double Mean, double Std,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? CiLow = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? CiHigh = null)
{
    public static readonly Stat Empty = new(0, 0);

    public static Stat Of(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) return Empty;
        var (mean, sd) = MeanSd(xs);
        if (xs.Count < 2) return new Stat(mean, 0);
        var half = Estimates.TCritical(xs.Count - 1) * sd / Math.Sqrt(xs.Count);
        return new Stat(mean, sd, mean - half, mean + half);
    }

    internal static (double Mean, double Sd) MeanSd(IReadOnlyList<double> xs)
    {
        var mean = xs.Average();
        if (xs.Count < 2) return (mean, 0);
        var ss = xs.Sum(x => (x - mean) * (x - mean));
        // Identical values can leave a rounding residue; call it zero so "zero variance" is exact.
        return (mean, ss <= 1e-24 * Math.Max(1, mean * mean) * xs.Count ? 0 : Math.Sqrt(ss / (xs.Count - 1)));
    }
}

/// <summary>
/// A variant minus its baseline: the mean difference, its 95 % confidence interval and two-sided p-value, and how it
/// was computed. <see cref="N"/> is the number of seed pairs (paired) or of the variant's seeds (Welch, with the
/// baseline's in <see cref="NBaseline"/>). Interval and p are null when the seeds cannot estimate a spread.
/// </summary>
public sealed record Difference(double Mean,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? CiLow,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? CiHigh,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? PValue,
    int N, bool Paired, int NBaseline)
{
    /// <summary>better / worse when the 95 % interval excludes zero, otherwise no evidence.</summary>
    [JsonIgnore]
    public Verdict Verdict => CiLow > 0 ? Verdict.Better : CiHigh < 0 ? Verdict.Worse : Verdict.NoEvidence;

    /// <summary>The verdict as the tables print it: "better", "worse", or "no evidence (n=2)".</summary>
    [JsonIgnore]
    public string VerdictText => Verdict switch
    {
        Verdict.Better => "better",
        Verdict.Worse => "worse",
        _ => Paired ? $"no evidence (n={N})" : $"no evidence (n={N}+{NBaseline})",
    };
}

/// <summary>What a person reads at a glance; JSON "better", "worse", "no_evidence".</summary>
public enum Verdict { Better, Worse, NoEvidence }

/// <summary>The tests the leaderboard, the knob effects, the web page and the report share.</summary>
public static class Estimates
{
    public const double Level = 0.95;

    /// <summary>t such that P(|T| ≤ t) = 95 % with df degrees of freedom (12.706 at df = 1, 1.96 as df → ∞).</summary>
    public static double TCritical(double df) => StudentT.Quantile(1 - (1 - Level) / 2, df);

    /// <summary>
    /// Variant − baseline from per-seed values. Paired by seed when at least two seeds ran on both sides and no seed
    /// appears twice on a side (then only the common seeds count); Welch's unequal-variance test otherwise.
    /// </summary>
    public static Difference Compare(IReadOnlyList<(int Seed, double Value)> variant, IReadOnlyList<(int Seed, double Value)> baseline)
    {
        if (variant.Count == 0 || baseline.Count == 0) throw new ArgumentException("both sides need at least one value");
        var uniqueSeeds = variant.Select(v => v.Seed).Distinct().Count() == variant.Count && baseline.Select(b => b.Seed).Distinct().Count() == baseline.Count;
        if (uniqueSeeds)
        {
            var baseBySeed = baseline.ToDictionary(b => b.Seed, b => b.Value);
            var diffs = variant.Where(v => baseBySeed.ContainsKey(v.Seed)).Select(v => v.Value - baseBySeed[v.Seed]).ToList();
            if (diffs.Count >= 2) return Paired(diffs);
        }
        return Welch(variant.Select(v => v.Value).ToList(), baseline.Select(b => b.Value).ToList());
    }

    /// <summary>One-sample t test of the per-seed differences against zero.</summary>
    public static Difference Paired(IReadOnlyList<double> diffs)
    {
        var (mean, sd) = Stat.MeanSd(diffs);
        var n = diffs.Count;
        if (n < 2) return new Difference(mean, null, null, null, n, true, n);
        var (lo, hi, p) = Test(mean, sd / Math.Sqrt(n), n - 1);
        return new Difference(mean, lo, hi, p, n, true, n);
    }

    /// <summary>Welch's t test (unequal variances, Welch–Satterthwaite degrees of freedom).</summary>
    public static Difference Welch(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var (ma, sa) = Stat.MeanSd(a);
        var (mb, sb) = Stat.MeanSd(b);
        var mean = ma - mb;
        if (a.Count < 2 || b.Count < 2) return new Difference(mean, null, null, null, a.Count, false, b.Count);
        var va = sa * sa / a.Count;
        var vb = sb * sb / b.Count;
        var se = Math.Sqrt(va + vb);
        var df = se == 0 ? a.Count + b.Count - 2 : (va + vb) * (va + vb) / (va * va / (a.Count - 1) + vb * vb / (b.Count - 1));
        var (lo, hi, p) = Test(mean, se, df);
        return new Difference(mean, lo, hi, p, a.Count, false, b.Count);
    }

    // With a zero standard error (every seed gave the same difference) the t statistic is ±∞ or 0/0: the interval
    // collapses to the mean, and p is 0 for a non-zero mean, 1 for a zero one.
    static (double Lo, double Hi, double P) Test(double mean, double se, double df)
    {
        if (se == 0) return (mean, mean, mean == 0 ? 1 : 0);
        var half = TCritical(df) * se;
        return (mean - half, mean + half, StudentT.TwoSidedP(mean / se, df));
    }
}
