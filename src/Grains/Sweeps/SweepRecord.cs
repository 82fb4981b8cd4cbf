using YoloSweep.Contracts.Trials;

namespace YoloSweep.Grains.Sweeps;

/// <summary>The persisted state of a <see cref="SweepGrain"/>: one row of the sweeps table.</summary>
[GenerateSerializer]
public sealed record SweepRecord
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public string SpecYaml { get; init; } = "";
    /// <summary>A hash of the parsed spec: resubmitting the same sweep is recognised, a different one under the name refused.</summary>
    [Id(2)] public string SpecHash { get; init; } = "";
    [Id(3)] public int Priority { get; init; }
    [Id(4)] public int MaxAttempts { get; init; }
    [Id(5)] public TimeSpan Backoff { get; init; }
    [Id(6)] public bool Cancelled { get; init; }
    [Id(7)] public DateTimeOffset CreatedAt { get; init; }
    [Id(8)] public int Total { get; init; }
    /// <summary>The trials to insert with the sweep's first write (in its transaction); empty afterwards.</summary>
    [Id(9)] public IReadOnlyList<TrialSpec> NewTrials { get; init; } = [];
}
