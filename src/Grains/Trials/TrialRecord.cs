using YoloSweep.Contracts.Trials;

namespace YoloSweep.Grains.Trials;

/// <summary>
/// The persisted state of a <see cref="TrialGrain"/>: one row of the trials table. Immutable: a transition builds the
/// next record, writes it, and only then replaces the current one, so a failed write leaves the grain as it was.
/// </summary>
[GenerateSerializer]
public sealed record TrialRecord
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string Sweep { get; init; }
    [Id(2)] public int Ordinal { get; init; }
    [Id(3)] public required TrialSpec Spec { get; init; }
    [Id(4)] public TrialState State { get; init; }
    /// <summary>Which attempt the trial is on (1 on its first run); leases given back by a stopping host do not count.</summary>
    [Id(5)] public int Attempt { get; init; }
    /// <summary>The fencing token of the newest lease; reports carrying another token are refused.</summary>
    [Id(6)] public long Token { get; init; }
    [Id(7)] public string? HostId { get; init; }
    /// <summary>The expiry written with the last transition; heartbeats extend it in memory only (see TrialGrain).</summary>
    [Id(8)] public DateTimeOffset? LeaseExpiresAt { get; init; }
    /// <summary>Not leasable before this (retry backoff).</summary>
    [Id(9)] public DateTimeOffset NotBefore { get; init; }
    [Id(10)] public int? StartEpoch { get; init; }
    [Id(11)] public int EpochsDone { get; init; }
    [Id(12)] public string? Error { get; init; }
    [Id(13)] public TrialMetrics? Metrics { get; init; }
    [Id(14)] public string? Artifacts { get; init; }
    [Id(15)] public DateTimeOffset CreatedAt { get; init; }
    [Id(16)] public DateTimeOffset UpdatedAt { get; init; }
    [Id(17)] public DateTimeOffset? FinishedAt { get; init; }

    // Read with the row from its sweep; never written by the trial.
    [Id(18)] public int MaxAttempts { get; init; } = 3;
    [Id(19)] public TimeSpan Backoff { get; init; }
    [Id(20)] public bool SweepCancelled { get; init; }

    /// <summary>Rows appended in the same transaction as this state: an epoch's metrics, the audit trail.</summary>
    [Id(21)] public IReadOnlyList<EpochReport> NewEpochs { get; init; } = [];
    [Id(22)] public IReadOnlyList<TrialEventRow> NewEvents { get; init; } = [];
}

/// <summary>One accepted transition of a trial (the trial_events audit table).</summary>
[GenerateSerializer]
public sealed record TrialEventRow([property: Id(0)] DateTimeOffset At, [property: Id(1)] string Kind, [property: Id(2)] long Token,
    [property: Id(3)] string? HostId, [property: Id(4)] string? Detail);
