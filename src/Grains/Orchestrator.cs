using Dapper;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Storage;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Hosts;
using YoloSweep.Grains.Queries;
using YoloSweep.Grains.Storage;
using YoloSweep.Grains.Sweeps;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains;

/// <summary>
/// What the HTTP API (and embedded mode) calls: writes go to the grains, reads to the <see cref="ReadModel"/>. A grain
/// call that fails because the cluster is changing (a silo died, an activation moved, two activations raced) is
/// retried with backoff for a few seconds; a database outage is not retried here (the caller answers 503 at once).
/// </summary>
public sealed class Orchestrator(IGrainFactory grains, ReadModel reads, Database db, ClusterSettings settings, ILogger<Orchestrator> log)
{
    public ReadModel Reads => reads;
    public Database Database => db;
    public TimeSpan LeaseDuration => settings.LeaseDuration;

    public Task<SubmitResult> SubmitSweepAsync(string name, string yaml, string file) =>
        Call(() => grains.GetGrain<ISweepGrain>(name).Submit(yaml, file));

    public Task<bool> CancelSweepAsync(string name) => Call(() => grains.GetGrain<ISweepGrain>(name).Cancel());

    public Task RegisterHostAsync(string hostId, string name, IReadOnlyList<DeviceInfo> devices) =>
        Call(async () => { await grains.GetGrain<ITrainerHostGrain>(hostId).Register(name, devices); return true; });

    public Task<bool> HeartbeatAsync(string hostId) => Call(() => grains.GetGrain<ITrainerHostGrain>(hostId).Heartbeat());

    public Task<IReadOnlyList<LeaseGrant>> AcquireAsync(string hostId, int freeDevices, int max) =>
        Call(() => grains.GetGrain<ITrainerHostGrain>(hostId).Acquire(freeDevices, max));

    public Task<ReportStatus> RenewAsync(string trialId, long token) => Call(() => Trial(trialId).Renew(token));
    public Task<ReportStatus> StartAsync(string trialId, long token, int startEpoch) => Call(() => Trial(trialId).Start(token, startEpoch));
    public Task<ReportStatus> ReportEpochAsync(string trialId, long token, EpochReport epoch) => Call(() => Trial(trialId).ReportEpoch(token, epoch));
    public Task<ReportStatus> CompleteAsync(string trialId, long token, TrialMetrics metrics, string? artifacts = null) =>
        Call(() => Trial(trialId).Complete(token, metrics, artifacts));
    public Task<ReportStatus> FailAsync(string trialId, long token, string reason, bool retryable = true) =>
        Call(() => Trial(trialId).Fail(token, reason, retryable));
    public Task<ReportStatus> ReleaseAsync(string trialId, long token, string reason) => Call(() => Trial(trialId).Release(token, reason));

    /// <summary>
    /// Asks every leased trial to end its lease if it ran out, now, rather than when its timer fires; returns how many
    /// did. Tests call it after moving their clock; the timers and reminders do the same work on their own.
    /// </summary>
    public async Task<int> ExpireLeasesAsync()
    {
        List<string> leased;
        await using (var c = await db.OpenAsync())
            leased = (await c.QueryAsync<string>("SELECT id FROM trials WHERE state IN ('leased','running')")).ToList();
        var expired = await Task.WhenAll(leased.Select(id => Call(() => Trial(id).ExpireIfDue())));
        return expired.Count(e => e);
    }

    ITrialGrain Trial(string id) => grains.GetGrain<ITrialGrain>(id);

    static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(50);
    const int Tries = 7; // 50 ms doubling: about 3 s in all

    async Task<T> Call<T>(Func<Task<T>> call)
    {
        var delay = FirstRetry;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < Tries && IsTransient(e))
            {
                log.LogDebug("Grain call failed ({Error}); retrying in {Delay} ms", e.Message, delay.TotalMilliseconds);
                await Task.Delay(delay);
                delay *= 2;
            }
        }
    }

    /// <summary>Failures of a cluster in motion, which the same call can survive a moment later.</summary>
    public static bool IsTransient(Exception e) =>
        e is SiloUnavailableException or OrleansMessageRejectionException or InconsistentStateException or TimeoutException
            or GrainExtensionNotInstalledException
        || e is OrleansException { InnerException: { } inner } && IsTransient(inner);
}
