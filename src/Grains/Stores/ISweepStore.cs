using YoloSweep.Contracts.Sweeps;
using YoloSweep.Grains.Sweeps;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Stores;

/// <summary>Which trials to list.</summary>
public sealed record TrialQuery(string? Sweep = null, TrialState? State = null, int Limit = 10_000);

/// <summary>One succeeded trial as the leaderboard needs it.</summary>
public sealed record TrialResult(string TrialId, string Sweep, string Model, string Scale, string Knobs, int Seed, TrialMetrics Metrics);

/// <summary>
/// Sums over the succeeded trials of one configuration, so seeds (and sweeps, and knob values when grouping) merge by
/// addition and the database does the heavy lifting: 100,000 trials come back as a few hundred groups.
/// </summary>
public sealed record ResultGroup(string Sweep, string Model, string Scale, string Knobs, int N,
    double SumMap50_95, double SumSqMap50_95, double SumMap50, double SumSqMap50,
    double SumParams, double SumGflops, double SumLatencyMs, double SumTrainSeconds)
{
    public static IEnumerable<ResultGroup> Of(IEnumerable<TrialResult> results) =>
        results.GroupBy(r => (r.Sweep, r.Model, r.Scale, r.Knobs)).Select(g => new ResultGroup(
            g.Key.Sweep, g.Key.Model, g.Key.Scale, g.Key.Knobs, g.Count(),
            g.Sum(r => r.Metrics.Map50_95), g.Sum(r => r.Metrics.Map50_95 * r.Metrics.Map50_95),
            g.Sum(r => r.Metrics.Map50), g.Sum(r => r.Metrics.Map50 * r.Metrics.Map50),
            g.Sum(r => (double)r.Metrics.Params), g.Sum(r => r.Metrics.Gflops), g.Sum(r => r.Metrics.LatencyMs), g.Sum(r => r.Metrics.TrainSeconds)));
}

/// <summary>
/// All state of the orchestrator. Every transition is a compare-and-set on (trial, state, fencing token) inside a
/// transaction, so concurrent Silo replicas, late reports and the reaper can never give a trial two owners or two
/// results. Time comes from the store's <see cref="TimeProvider"/> (tests move it by hand).
/// </summary>
public interface ISweepStore : IAsyncDisposable
{
    /// <summary>Creates the tables if missing.</summary>
    Task InitializeAsync(CancellationToken ct = default);

    /// <summary>True when the database answers (readiness).</summary>
    Task<bool> PingAsync(CancellationToken ct = default);

    Task<(SubmitOutcome Outcome, Sweep? Sweep)> SubmitSweepAsync(SweepSpec spec, string specYaml, IReadOnlyList<TrialSpec> trials, CancellationToken ct = default);
    Task<IReadOnlyList<Sweep>> ListSweepsAsync(CancellationToken ct = default);
    Task<Sweep?> GetSweepAsync(string name, CancellationToken ct = default);
    /// <summary>Cancels every trial not yet final; running ones learn it at their next heartbeat. False if no such sweep.</summary>
    Task<bool> CancelSweepAsync(string name, CancellationToken ct = default);

    Task<IReadOnlyList<Trial>> ListTrialsAsync(TrialQuery query, CancellationToken ct = default);
    Task<Trial?> GetTrialAsync(string id, CancellationToken ct = default);
    Task<IReadOnlyList<EpochReport>> GetEpochsAsync(string trialId, CancellationToken ct = default);
    Task<IReadOnlyList<TrialResult>> ListResultsAsync(string? sweep, CancellationToken ct = default);
    /// <summary>Succeeded trials summed per (sweep, model, scale, knobs) in the database: what the leaderboard reads.</summary>
    Task<IReadOnlyList<ResultGroup>> ListResultGroupsAsync(string? sweep, CancellationToken ct = default);

    Task RegisterHostAsync(HostInfo host, CancellationToken ct = default);
    Task<bool> TouchHostAsync(string hostId, CancellationToken ct = default);
    Task<IReadOnlyList<HostInfo>> ListHostsAsync(CancellationToken ct = default);

    /// <summary>
    /// Leases up to <paramref name="max"/> pending trials that fit the host's free devices (also bounded by what the
    /// host registered minus what it already holds): highest sweep priority first, then the sweep with the fewest
    /// trials in flight (fairness), then sweep order.
    /// </summary>
    Task<IReadOnlyList<Lease>> AcquireAsync(string hostId, int freeDevices, int max, TimeSpan leaseDuration, CancellationToken ct = default);

    /// <summary>Heartbeat: extends the lease.</summary>
    Task<ReportStatus> RenewAsync(string trialId, long token, TimeSpan leaseDuration, CancellationToken ct = default);
    /// <summary>leased → running; <paramref name="startEpoch"/> above 1 means the attempt resumed from a checkpoint.</summary>
    Task<ReportStatus> StartAsync(string trialId, long token, int startEpoch, TimeSpan leaseDuration, CancellationToken ct = default);
    /// <summary>Records one epoch (idempotent per epoch) and extends the lease.</summary>
    Task<ReportStatus> ReportEpochAsync(string trialId, long token, EpochReport epoch, TimeSpan leaseDuration, CancellationToken ct = default);
    /// <summary>
    /// The one final result, with where its artefacts are (the trial's folder under the shared folder). Repeating the
    /// same report with the same token answers Accepted again (lost replies).
    /// </summary>
    Task<ReportStatus> CompleteAsync(string trialId, long token, TrialMetrics metrics, string? artifacts = null, CancellationToken ct = default);
    /// <summary>A failed attempt: back to pending after a backoff, or failed for good after max_attempts (or when not retryable).</summary>
    Task<ReportStatus> FailAsync(string trialId, long token, string reason, bool retryable = true, CancellationToken ct = default);

    /// <summary>
    /// The host gives the trial back unfinished (it is shutting down): pending again at once, without using up an
    /// attempt; the next lease resumes from the checkpoint.
    /// </summary>
    Task<ReportStatus> ReleaseAsync(string trialId, long token, string reason, CancellationToken ct = default);

    /// <summary>Returns trials whose lease expired to pending (or failed after max_attempts). Returns how many.</summary>
    Task<int> ReapExpiredAsync(CancellationToken ct = default);

    /// <summary>Accepted transitions of a trial, oldest first (audit trail; tests count final results with it).</summary>
    Task<IReadOnlyList<TrialEvent>> GetEventsAsync(string trialId, CancellationToken ct = default);
}

/// <summary>One accepted transition of a trial.</summary>
public sealed record TrialEvent(string TrialId, DateTimeOffset At, string Kind, long Token, string? HostId, string? Detail);
