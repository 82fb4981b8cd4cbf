namespace YoloSweep.Contracts.Leaderboards;

/// <summary>Mean and sample standard deviation over seeds (0 when there is one seed).</summary>
public sealed record Stat(double Mean, double Std)
{
    /// <summary>From a count, a sum and a sum of squares (sample standard deviation).</summary>
    public static Stat FromSums(int n, double sum, double sumSq)
    {
        if (n == 0) return new Stat(0, 0);
        var mean = sum / n;
        var variance = n > 1 ? (sumSq - sum * sum / n) / (n - 1) : 0;
        // Rounding can leave a tiny negative or non-zero variance for identical values.
        return new Stat(mean, variance > 1e-18 * Math.Max(1, sumSq) ? Math.Sqrt(variance) : 0);
    }

    public static Stat Of(IReadOnlyList<double> xs)
    {
        if (xs.Count == 0) return new Stat(0, 0);
        var mean = xs.Average();
        var std = xs.Count > 1 ? Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)) : 0;
        return new Stat(mean, std);
    }
}

/// <summary>What to show: one sweep or all, how to group, sort, filter and cut.</summary>
public sealed record LeaderboardQuery
{
    public string? Sweep { get; init; }
    /// <summary>Dimensions that make a row: "model", "scale" and/or knob names. Empty = model, scale and every knob.</summary>
    public IReadOnlyList<string> GroupBy { get; init; } = [];
    public string Sort { get; init; } = "map50_95";
    public bool Ascending { get; init; }
    public string? Model { get; init; }
    public string? Scale { get; init; }
    public int? Top { get; init; }

    public static readonly string[] SortKeys = ["map50_95", "map50", "delta_map50_95", "params", "gflops", "latency_ms", "train_seconds", "model"];
}

/// <summary>One configuration aggregated over seeds.</summary>
public sealed record LeaderboardRow
{
    public int Rank { get; init; }
    public string Sweeps { get; init; } = "";
    public string Model { get; init; } = "";
    public string Scale { get; init; } = "";
    public string Knobs { get; init; } = "";
    public int Seeds { get; init; }
    public Stat Map50_95 { get; init; } = new(0, 0);
    public Stat Map50 { get; init; } = new(0, 0);
    public double Params { get; init; }
    public double Gflops { get; init; }
    public double LatencyMs { get; init; }
    public double TrainSeconds { get; init; }
    /// <summary>mAP50-95 minus the family baseline's at the same scale (null when the baseline did not run).</summary>
    public double? DeltaMap50_95 { get; init; }
    public double? DeltaMap50 { get; init; }
    public string? Baseline { get; init; }
    /// <summary>No other row is at least as accurate with fewer GFLOPs (resp. lower latency).</summary>
    public bool ParetoGflops { get; init; }
    public bool ParetoLatency { get; init; }
}
