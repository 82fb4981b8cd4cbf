using YoloSweep.Contracts.Trials;

namespace YoloSweep.Grains.Queries;

/// <summary>A submitted sweep and how far its trials have got.</summary>
public sealed record Sweep
{
    public required string Name { get; init; }
    public int Priority { get; init; }
    public int MaxAttempts { get; init; }
    public double BackoffSeconds { get; init; }
    public bool Cancelled { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string SpecYaml { get; init; } = "";
    public Dictionary<TrialState, int> Counts { get; init; } = [];

    public int Total => Counts.Values.Sum();
    public int Finished => Counts.Where(c => c.Key.IsFinal()).Sum(c => c.Value);

    /// <summary>active while any trial is not final; then done (or cancelled).</summary>
    public string Status => Cancelled ? "cancelled" : Finished == Total ? "done" : "active";
}

/// <summary>A trial as its row holds it: its spec, where it stands, and its result once it has one.</summary>
public sealed record Trial
{
    public required string Id { get; init; }
    public required string Sweep { get; init; }
    public int Ordinal { get; init; }
    public required TrialSpec Spec { get; init; }
    public TrialState State { get; init; }
    public int Attempt { get; init; }
    public long FencingToken { get; init; }
    public string? HostId { get; init; }
    /// <summary>As written with the last transition (heartbeats extend the live lease without a write).</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    public DateTimeOffset NotBefore { get; init; }
    public int? StartEpoch { get; init; }
    public int EpochsDone { get; init; }
    public string? Error { get; init; }
    public TrialMetrics? Metrics { get; init; }
    /// <summary>The trial's folder (checkpoints, metrics.json, logs), relative to the shared folder.</summary>
    public string? Artifacts { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>A trainer host and its devices.</summary>
public sealed record HostInfo(string Id, string Name, IReadOnlyList<Hosts.DeviceInfo> Devices, DateTimeOffset RegisteredAt, DateTimeOffset LastSeenAt);

/// <summary>One accepted transition of a trial.</summary>
public sealed record TrialEvent(string TrialId, DateTimeOffset At, string Kind, long Token, string? HostId, string? Detail);

/// <summary>One reported epoch of a trial, with the trial's configuration.</summary>
public sealed record SweepEpoch(string TrialId, string Model, string Scale, string Knobs, int Seed, TrialState State, EpochReport Epoch);

/// <summary>Which trials to list.</summary>
public sealed record TrialQuery(string? Sweep = null, TrialState? State = null, int Limit = 10_000);

/// <summary>One succeeded trial as the leaderboard needs it.</summary>
public sealed record TrialResult(string TrialId, string Sweep, string Model, string Scale, string Knobs, int Seed, TrialMetrics Metrics);

/// <summary>A failed trial's configuration and seed: the leaderboard counts it, and averages only what succeeded.</summary>
public sealed record FailedTrial(string TrialId, string Sweep, string Model, string Scale, string Knobs, int Seed);
