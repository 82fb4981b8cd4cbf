using System.Text.Json.Serialization;
using YoloSweep.Contracts.Statistics;

namespace YoloSweep.Contracts.Leaderboards;

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

/// <summary>One configuration over its seeds (figures from the succeeded ones; failed seeds counted, not averaged).</summary>
public sealed record LeaderboardRow
{
    public int Rank { get; init; }
    public string Sweeps { get; init; } = "";
    public string Model { get; init; } = "";
    public string Scale { get; init; } = "";
    public string Knobs { get; init; } = "";
    /// <summary>Seeds that succeeded (the figures are theirs).</summary>
    public int Seeds { get; init; }
    public int FailedSeeds { get; init; }
    public Stat Map50_95 { get; init; } = Stat.Empty;
    public Stat Map50 { get; init; } = Stat.Empty;
    public double Params { get; init; }
    public double Gflops { get; init; }
    public double LatencyMs { get; init; }
    public double TrainSeconds { get; init; }
    /// <summary>The family baseline (null when it did not run); a baseline row names itself.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public string? Baseline { get; init; }
    /// <summary>mAP50-95 minus the baseline's at the same scale; null for a baseline or when no baseline ran.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public Difference? DeltaMap50_95 { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public Difference? DeltaMap50 { get; init; }
    /// <summary>Of the mAP50-95 Δ at the 95 % level; null where there is no Δ.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)] public Verdict? Verdict { get; init; }
    /// <summary>No other row is at least as accurate with fewer GFLOPs (resp. lower latency).</summary>
    public bool ParetoGflops { get; init; }
    public bool ParetoLatency { get; init; }
}
