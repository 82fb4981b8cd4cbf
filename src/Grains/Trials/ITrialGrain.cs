using Orleans.Concurrency;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Grains.Trials;

/// <summary>
/// One trial (key: trial id): the single writer of its state machine
/// pending → leased(host, expiry, fencing token) → running → succeeded | failed | cancelled.
/// Every report carries the lease's fencing token; a report with another token is refused (Stale).
/// </summary>
public interface ITrialGrain : IGrainWithStringKey
{
    /// <summary>Leases a pending trial whose backoff is over to <paramref name="hostId"/>; null when it is not leasable.</summary>
    Task<LeaseGrant?> TryLease(string hostId);

    /// <summary>Heartbeat: extends the lease.</summary>
    Task<ReportStatus> Renew(long token);

    /// <summary>leased → running; a start epoch above 1 means the attempt resumed from a checkpoint.</summary>
    Task<ReportStatus> Start(long token, int startEpoch);

    /// <summary>Records one epoch (idempotent per epoch number) and extends the lease.</summary>
    Task<ReportStatus> ReportEpoch(long token, EpochReport epoch);

    /// <summary>The one final result; repeating it with the same token answers Accepted again (lost replies).</summary>
    Task<ReportStatus> Complete(long token, TrialMetrics metrics, string? artifacts);

    /// <summary>A failed attempt: pending again after a backoff, or failed for good (attempts used up, or not retryable).</summary>
    Task<ReportStatus> Fail(long token, string reason, bool retryable);

    /// <summary>The host gives the trial back unfinished: pending at once, without using up an attempt.</summary>
    Task<ReportStatus> Release(long token, string reason);

    /// <summary>Cancels the trial unless it is final already; a running attempt learns it at its next report.</summary>
    Task<bool> Cancel();

    /// <summary>Ends the lease if it has run out; true when it did.</summary>
    Task<bool> ExpireIfDue();

    /// <summary>Activates the grain so that its lease timer runs (after a silo restart nothing else may call it).</summary>
    [OneWay] Task Wake();
}

/// <summary>The right to run one trial until <see cref="ExpiresAt"/>, renewed by heartbeats.</summary>
[GenerateSerializer]
public sealed record LeaseGrant(
    [property: Id(0)] string TrialId,
    [property: Id(1)] long FencingToken,
    [property: Id(2)] int Attempt,
    [property: Id(3)] bool Resume,
    [property: Id(4)] DateTimeOffset ExpiresAt,
    [property: Id(5)] TrialSpec Spec);
