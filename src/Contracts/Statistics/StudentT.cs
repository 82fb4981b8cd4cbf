namespace YoloSweep.Contracts.Statistics;

/// <summary>
/// Student's t distribution: the two-sided p-value of a t statistic and the quantile a confidence interval needs.
/// Both rest on the regularized incomplete beta function, I_x(a, b), evaluated by its continued fraction (modified
/// Lentz), which converges in a few dozen terms for the degrees of freedom a sweep has (1 to a few hundred).
/// </summary>
public static class StudentT
{
    /// <summary>P(|T| ≥ |t|) for T ~ t(df): 1 at t = 0, 0 at t = ±∞.</summary>
    public static double TwoSidedP(double t, double df)
    {
        if (!(df > 0)) throw new ArgumentOutOfRangeException(nameof(df), df, "degrees of freedom must be positive");
        if (double.IsNaN(t)) return double.NaN;
        if (double.IsInfinity(t)) return 0;
        return RegularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
    }

    /// <summary>P(T ≤ t).</summary>
    public static double Cdf(double t, double df)
    {
        var tail = TwoSidedP(t, df) / 2;
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>The t with P(T ≤ t) = p (0 &lt; p &lt; 1), by bisection on the CDF: exact to ~1e-12, no table.</summary>
    public static double Quantile(double p, double df)
    {
        if (!(p > 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p must be in (0, 1)");
        if (p == 0.5) return 0;
        if (p < 0.5) return -Quantile(1 - p, df);
        double lo = 0, hi = 1;
        while (Cdf(hi, df) < p) { lo = hi; hi *= 2; } // df = 1 at p = 0.9995 needs hi ≈ 637
        for (var i = 0; i < 200 && hi - lo > 1e-13 * Math.Max(1, hi); i++)
        {
            var mid = (lo + hi) / 2;
            if (Cdf(mid, df) < p) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /// <summary>I_x(a, b) = B(x; a, b) / B(a, b) for 0 ≤ x ≤ 1, a, b &gt; 0.</summary>
    public static double RegularizedIncompleteBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a) otherwise.
        if (x > (a + 1) / (a + b + 2)) return 1 - RegularizedIncompleteBeta(1 - x, b, a);
        var front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x)) / a;
        return front * BetaContinuedFraction(x, a, b);
    }

    static double BetaContinuedFraction(double x, double a, double b)
    {
        const double tiny = 1e-300, eps = 1e-15;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        if (Math.Abs(d) < tiny) d = tiny;
        d = 1 / d;
        var f = d;
        for (var m = 1; m <= 1000; m++)
        {
            // Even step: d_{2m} = m(b − m)x / ((a + 2m − 1)(a + 2m)).
            var num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
            d = 1 + num * d; if (Math.Abs(d) < tiny) d = tiny; d = 1 / d;
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            f *= c * d;
            // Odd step: d_{2m+1} = −(a + m)(a + b + m)x / ((a + 2m)(a + 2m + 1)).
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
            d = 1 + num * d; if (Math.Abs(d) < tiny) d = tiny; d = 1 / d;
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            var step = c * d;
            f *= step;
            if (Math.Abs(step - 1) < eps) return f;
        }
        return f; // not reached for the arguments above; the last iterate is within 1e-12
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, 9 terms: ~1e-15 relative).</summary>
    public static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x); // reflection
        ReadOnlySpan<double> g =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        x -= 1;
        var sum = g[0];
        for (var i = 1; i < g.Length; i++) sum += g[i] / (x + i);
        var t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
