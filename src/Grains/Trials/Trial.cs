using YoloSweep.Contracts.Trials;

namespace YoloSweep.Grains.Trials;

/// <summary>A trial as the store knows it: its spec, where it stands, and its result once it has one.</summary>
public sealed record Trial
{
    public required string Id { get; init; }
    public required string Sweep { get; init; }
    public int Ordinal { get; init; }
    public required TrialSpec Spec { get; init; }
    public TrialState State { get; init; }
    /// <summary>Which attempt the trial is on (1 on its first run); leases given back by a stopping host do not count.</summary>
    public int Attempt { get; init; }
    /// <summary>The fencing token of the newest lease; reports carrying another token are refused.</summary>
    public long FencingToken { get; init; }
    public string? HostId { get; init; }
    public DateTimeOffset? LeaseExpiresAt { get; init; }
    public DateTimeOffset NotBefore { get; init; }
    /// <summary>The first epoch the latest attempt trained (above 1 when it resumed from a checkpoint).</summary>
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

/// <summary>The right to run one trial until <see cref="ExpiresAt"/>, renewed by heartbeats.</summary>
public sealed record Lease
{
    public required string TrialId { get; init; }
    public long FencingToken { get; init; }
    public required string HostId { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
    public int Attempt { get; init; }
    /// <summary>True when an earlier attempt ran: the trainer resumes from the trial's checkpoint.</summary>
    public bool Resume { get; init; }
    public required TrialSpec Spec { get; init; }
}

/// <summary>A trainer host and its devices.</summary>
public sealed record HostInfo
{
    public required string Id { get; init; }
    public string Name { get; init; } = "";
    public IReadOnlyList<DeviceInfo> Devices { get; init; } = [];
    public DateTimeOffset RegisteredAt { get; init; }
    public DateTimeOffset LastSeenAt { get; init; }
}

public sealed record DeviceInfo(string Name, long MemoryMb = 0);
