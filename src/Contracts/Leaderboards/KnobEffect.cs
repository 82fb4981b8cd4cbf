using System.Text.Json.Serialization;
using YoloSweep.Contracts.Statistics;

namespace YoloSweep.Contracts.Leaderboards;

/// <summary>
/// What one knob does to one model at one scale (mAP50-95): each value's mean over its seeds with a 95 % interval,
/// and each value against the first (smallest) one.
/// </summary>
public sealed record KnobEffect(string Model, string Scale, string Knob, IReadOnlyList<KnobValue> Values, IReadOnlyList<KnobDelta> Deltas);

public sealed record KnobValue(string Value, int N, double Mean,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? CiLow,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? CiHigh);

/// <summary><c>To</c> minus <c>From</c>, as <see cref="Difference"/> computes it (flat in JSON, as the dashboard reads it).</summary>
public sealed record KnobDelta(string From, string To, double Mean,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? CiLow,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? CiHigh,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] double? PValue,
    int N, bool Paired, int NBaseline)
{
    public static KnobDelta Of(string from, string to, Difference d) =>
        new(from, to, d.Mean, d.CiLow, d.CiHigh, d.PValue, d.N, d.Paired, d.NBaseline);

    /// <summary>The same figures as a <see cref="Difference"/>, for the formatting and verdict text the leaderboard uses.</summary>
    [JsonIgnore]
    public Difference Difference => new(Mean, CiLow, CiHigh, PValue, N, Paired, NBaseline);

    /// <summary>Derived from the interval, as <see cref="Difference.Verdict"/>; written to JSON for the dashboard.</summary>
    public Verdict Verdict => Difference.Verdict;
}
