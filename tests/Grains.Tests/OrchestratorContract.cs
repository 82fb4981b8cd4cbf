using YoloSweep.Contracts.Sweeps;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Hosts;
using YoloSweep.Grains.Queries;
using YoloSweep.Grains.Sweeps;
using YoloSweep.Grains.Trials;
using YoloSweep.Testing;

namespace YoloSweep.Grains.Tests;

/// <summary>
/// What the orchestrator must do whatever the database: run on real silos over SQLite and over a real PostgreSQL
/// server. Writes go through the grains, reads through the read model, time through the test's clock.
/// </summary>
public abstract class OrchestratorContract
{
    protected readonly ManualClock Clock = new();

    /// <summary>A fresh cluster of <paramref name="silos"/> silos over an empty database; <paramref name="reopen"/> starts new
    /// silos on the same database.</summary>
    protected abstract Task<GrainCluster> CreateClusterAsync(bool reopen = false, int silos = 1);

    protected static string Spec(string name, int trials, int priority = 0, int gpus = 1, int maxAttempts = 3, double backoff = 10) => $"""
            name: {name}
            train: {"{"} epochs: 3, simulate: {"{"} seconds_per_epoch: 0 {"}"} {"}"}
            matrix: {"{"} model: yolov5 {"}"}
            seeds: [{string.Join(",", Enumerable.Range(0, trials))}]
            resources: {"{"} gpus: {gpus} {"}"}
            priority: {priority}
            retry: {"{"} max_attempts: {maxAttempts}, backoff_seconds: {backoff} {"}"}
            """;

    protected static async Task<Sweep> Submit(Orchestrator o, string yaml)
    {
        var name = SweepSpecParser.Parse(yaml).Name;
        var r = await o.SubmitSweepAsync(name, yaml, "sweep.yaml");
        Assert.Equal(SubmitOutcome.Created, r.Outcome);
        return (await o.Reads.GetSweepAsync(name))!;
    }

    static Task Host(Orchestrator o, string id, int devices) =>
        o.RegisterHostAsync(id, id, Enumerable.Range(0, devices).Select(i => new DeviceInfo($"gpu{i}")).ToList());

    static readonly TrialMetrics Metrics = new() { Map50 = 0.5, Map50_95 = 0.3, Params = 1234, Gflops = 4.5, Epochs = 3 };

    [Fact]
    public async Task Submitting_creates_pending_trials_and_resubmitting_duplicates_nothing()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        var spec = Spec("a", 3);
        var sweep = await Submit(store, spec);
        Assert.Equal(3, sweep.Counts[TrialState.Pending]);
        Assert.Equal("active", sweep.Status);

        Assert.Equal(SubmitOutcome.AlreadyExists, (await store.SubmitSweepAsync("a", spec, "again.yaml")).Outcome);
        Assert.Equal(SubmitOutcome.NameConflict, (await store.SubmitSweepAsync("a", Spec("a", 4), "other.yaml")).Outcome);
        Assert.Equal(3, (await store.Reads.ListTrialsAsync(new TrialQuery("a"))).Count);
        Assert.Equal(["a"], (await store.Reads.ListSweepsAsync()).Select(s => s.Name));
    }

    [Fact]
    public async Task Acquire_fits_free_devices_and_what_the_host_already_holds()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("big", 4, gpus: 2));
        await Host(store, "h", 3);
        var first = await store.AcquireAsync("h", freeDevices: 3, max: 10);
        Assert.Single(first); // 2 of 3 devices used, the next trial needs 2
        Assert.Empty(await store.AcquireAsync("h", freeDevices: 3, max: 10)); // the host claims 3 free but holds 2 of 3
        Assert.Equal(1, first[0].Attempt);
        Assert.False(first[0].Resume);
        Assert.Equal(2, first[0].Spec.Gpus);
    }

    [Fact]
    public async Task Acquire_for_an_unregistered_host_is_refused()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("a", 1));
        await Assert.ThrowsAsync<UnknownHostException>(() => store.AcquireAsync("ghost", 1, 1));
    }

    [Fact]
    public async Task Higher_priority_goes_first_and_equal_priorities_share_fairly()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("low", 4, priority: 0));
        await Submit(store, Spec("also-low", 4, priority: 0));
        await Submit(store, Spec("high", 2, priority: 5));
        await Host(store, "h", 6);
        var leases = await store.AcquireAsync("h", 6, 6);
        var bySweep = leases.GroupBy(l => l.Spec.Sweep).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(2, bySweep["high"]);
        Assert.Equal(2, bySweep["low"]);
        Assert.Equal(2, bySweep["also-low"]);
        Assert.Equal("high", leases[0].Spec.Sweep);
    }

    [Fact]
    public async Task An_expired_lease_returns_the_trial_and_the_stale_token_is_refused()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("a", 1, backoff: 5));
        await Host(store, "h1", 1);
        await Host(store, "h2", 1);
        var old = Assert.Single(await store.AcquireAsync("h1", 1, 1));
        Assert.Equal(ReportStatus.Accepted, await store.StartAsync(old.TrialId, old.FencingToken, 1));
        Assert.Equal(ReportStatus.Accepted, await store.ReportEpochAsync(old.TrialId, old.FencingToken, new EpochReport { Epoch = 1, Map50_95 = 0.1 }));

        Clock.Advance(GrainCluster.LeaseTime + TimeSpan.FromSeconds(1));
        Assert.Equal(1, await store.ExpireLeasesAsync());
        var pending = (await store.Reads.GetTrialAsync(old.TrialId))!;
        Assert.Equal(TrialState.Pending, pending.State);
        Assert.Contains("lease expired", pending.Error);
        Assert.Empty(await store.AcquireAsync("h2", 1, 1)); // backoff not over yet
        Clock.Advance(TimeSpan.FromSeconds(5));
        var fresh = Assert.Single(await store.AcquireAsync("h2", 1, 1));
        Assert.Equal(2, fresh.Attempt);
        Assert.True(fresh.Resume);
        Assert.True(fresh.FencingToken > old.FencingToken);

        Assert.Equal(ReportStatus.Stale, await store.RenewAsync(old.TrialId, old.FencingToken));
        Assert.Equal(ReportStatus.Stale, await store.ReportEpochAsync(old.TrialId, old.FencingToken, new EpochReport { Epoch = 2 }));
        Assert.Equal(ReportStatus.Stale, await store.CompleteAsync(old.TrialId, old.FencingToken, Metrics));
        Assert.Equal(ReportStatus.Accepted, await store.CompleteAsync(fresh.TrialId, fresh.FencingToken, Metrics));
        Assert.Equal(ReportStatus.Accepted, await store.CompleteAsync(fresh.TrialId, fresh.FencingToken, Metrics)); // a retried report
        Assert.Equal(ReportStatus.Stale, await store.FailAsync(old.TrialId, old.FencingToken, "late"));

        var done = (await store.Reads.GetTrialAsync(old.TrialId))!;
        Assert.Equal(TrialState.Succeeded, done.State);
        Assert.Equal(0.3, done.Metrics!.Map50_95);
        Assert.Equal(2, done.Attempt);
        var events = await store.Reads.GetEventsAsync(old.TrialId);
        Assert.Single(events, e => e.Kind == "succeeded");
        Assert.Equal(fresh.FencingToken, events.Single(e => e.Kind == "succeeded").Token);
        Assert.Equal("done", (await store.Reads.GetSweepAsync("a"))!.Status);
    }

    [Fact]
    public async Task Heartbeats_keep_a_lease_alive_past_its_first_expiry()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("a", 1));
        await Host(store, "h", 1);
        var lease = Assert.Single(await store.AcquireAsync("h", 1, 1));
        for (var i = 0; i < 5; i++)
        {
            Clock.Advance(GrainCluster.LeaseTime / 2);
            Assert.Equal(ReportStatus.Accepted, await store.RenewAsync(lease.TrialId, lease.FencingToken));
            Assert.Equal(0, await store.ExpireLeasesAsync());
        }
        Assert.Equal(TrialState.Leased, (await store.Reads.GetTrialAsync(lease.TrialId))!.State);
    }

    [Fact]
    public async Task Attempts_run_out_into_failed_and_non_retryable_failures_fail_at_once()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("a", 2, maxAttempts: 2, backoff: 0));
        await Host(store, "h", 2);
        var leases = await store.AcquireAsync("h", 2, 2);
        Assert.Equal(ReportStatus.Accepted, await store.FailAsync(leases[1].TrialId, leases[1].FencingToken, "bad config", retryable: false));
        Assert.Equal(TrialState.Failed, (await store.Reads.GetTrialAsync(leases[1].TrialId))!.State);

        var id = leases[0].TrialId;
        Assert.Equal(ReportStatus.Accepted, await store.FailAsync(id, leases[0].FencingToken, "crash 1"));
        Assert.Equal(TrialState.Pending, (await store.Reads.GetTrialAsync(id))!.State);
        var second = Assert.Single(await store.AcquireAsync("h", 2, 2));
        Clock.Advance(GrainCluster.LeaseTime * 2);
        Assert.Equal(1, await store.ExpireLeasesAsync());
        var failed = (await store.Reads.GetTrialAsync(id))!;
        Assert.Equal(TrialState.Failed, failed.State);
        Assert.Contains("attempt", (await store.Reads.GetEventsAsync(id)).Last().Detail);
        Assert.Empty(await store.AcquireAsync("h", 2, 2));
        Assert.Equal(ReportStatus.Stale, await store.CompleteAsync(id, second.FencingToken - 1, Metrics));
    }

    [Fact]
    public async Task A_released_trial_is_pending_again_at_once_without_using_an_attempt()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("a", 1, maxAttempts: 1, backoff: 60));
        await Host(store, "h", 1);
        for (var i = 0; i < 3; i++) // three host restarts in a row; max_attempts is 1
        {
            var lease = Assert.Single(await store.AcquireAsync("h", 1, 1));
            Assert.Equal(1, lease.Attempt);
            Assert.Equal(i > 0, lease.Resume);
            Assert.Equal(ReportStatus.Accepted, await store.ReleaseAsync(lease.TrialId, lease.FencingToken, "host stopped"));
            Assert.Equal(ReportStatus.Stale, await store.ReleaseAsync(lease.TrialId, lease.FencingToken, "again"));
        }
        var last = Assert.Single(await store.AcquireAsync("h", 1, 1));
        Assert.Equal(4, last.FencingToken);
        Assert.Equal(ReportStatus.Accepted, await store.CompleteAsync(last.TrialId, last.FencingToken, Metrics));
        Assert.Equal(3, (await store.Reads.GetEventsAsync(last.TrialId)).Count(e => e.Kind == "released"));
    }

    [Fact]
    public async Task Cancelling_a_sweep_stops_pending_and_running_trials()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("a", 3));
        await Host(store, "h", 1);
        var lease = Assert.Single(await store.AcquireAsync("h", 1, 1));
        Assert.True(await store.CancelSweepAsync("a"));
        Assert.False(await store.CancelSweepAsync("nope"));
        Assert.Equal(ReportStatus.Cancelled, await store.RenewAsync(lease.TrialId, lease.FencingToken));
        Assert.Equal(ReportStatus.Cancelled, await store.CompleteAsync(lease.TrialId, lease.FencingToken, Metrics));
        var sweep = (await store.Reads.GetSweepAsync("a"))!;
        Assert.Equal(3, sweep.Counts[TrialState.Cancelled]);
        Assert.Equal("cancelled", sweep.Status);
        Assert.Empty(await store.AcquireAsync("h", 1, 1));
    }

    [Fact]
    public async Task Epochs_are_recorded_once_per_epoch_even_when_resent()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("a", 1));
        await Host(store, "h", 1);
        var l = Assert.Single(await store.AcquireAsync("h", 1, 1));
        foreach (var e in new[] { 1, 2, 2, 3 })
            Assert.Equal(ReportStatus.Accepted, await store.ReportEpochAsync(l.TrialId, l.FencingToken,
                new EpochReport { Epoch = e, Map50_95 = e / 10.0, Losses = new() { ["box"] = 1.0 / e } }));
        var epochs = await store.Reads.GetEpochsAsync(l.TrialId);
        Assert.Equal([1, 2, 3], epochs.Select(e => e.Epoch));
        Assert.Equal(0.5, epochs[1].Losses["box"]);
        var trial = (await store.Reads.GetTrialAsync(l.TrialId))!;
        Assert.Equal(TrialState.Running, trial.State);
        Assert.Equal(3, trial.EpochsDone);
    }

    [Fact]
    public async Task Results_feed_the_leaderboard_and_survive_reopening()
    {
        await using (var cluster = await CreateClusterAsync())
        {
            var store = cluster.Orchestrator;
            await Submit(store, Spec("a", 2));
            await Host(store, "h", 2);
            foreach (var l in await store.AcquireAsync("h", 2, 2))
                Assert.Equal(ReportStatus.Accepted, await store.CompleteAsync(l.TrialId, l.FencingToken, Metrics with { Map50_95 = 0.3 + l.Spec.Seed / 10.0 }));
        }
        await using var reopened = await CreateClusterAsync(reopen: true);
        var again = reopened.Orchestrator.Reads;
        var results = await again.ListResultsAsync("a");
        Assert.Equal(2, results.Count);
        Assert.Equal([0.3, 0.4], results.Select(r => r.Metrics.Map50_95).Order().Select(x => Math.Round(x, 6)));
        Assert.All(results, r => Assert.Equal(1234, r.Metrics.Params));
        Assert.Empty(await again.ListResultsAsync("other"));
        Assert.True(await reopened.Database.PingAsync());
        var row = Assert.Single(Leaderboards.Leaderboard.Build(results, new Contracts.Leaderboards.LeaderboardQuery { Sweep = "a" }));
        Assert.Equal(0.35, row.Map50_95.Mean, 6);
        // Read straight from the database (as the API and the CLI do): the same row, with the seeds' interval.
        var read = Assert.Single(await Leaderboards.Leaderboard.ReadAsync(again, new Contracts.Leaderboards.LeaderboardQuery()));
        Assert.Equal(row.Map50_95, read.Map50_95);
        Assert.NotNull(read.Map50_95.CiLow);
        Assert.Equal(1234, read.Params);
        Assert.Empty(await again.ListFailedAsync("a"));
    }

    [Fact]
    public async Task Concurrent_hosts_never_lease_one_trial_twice()
    {
        await using var cluster = await CreateClusterAsync();
        var store = cluster.Orchestrator;
        await Submit(store, Spec("a", 60));
        for (var h = 0; h < 6; h++) await Host(store, $"h{h}", 4);
        var got = new System.Collections.Concurrent.ConcurrentBag<LeaseGrant>();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(h => Task.Run(async () =>
        {
            for (var round = 0; round < 20; round++)
            {
                foreach (var l in await store.AcquireAsync($"h{h}", 4, 4))
                {
                    got.Add(l);
                    Assert.Equal(ReportStatus.Accepted, await store.CompleteAsync(l.TrialId, l.FencingToken, Metrics));
                }
            }
        })));
        Assert.Equal(60, got.Count);
        Assert.Equal(60, got.Select(l => l.TrialId).Distinct().Count());
        Assert.Equal(60, (await store.Reads.GetSweepAsync("a"))!.Counts[TrialState.Succeeded]);
    }

    /// <summary>The silo that hosts a running trial dies (as `kill -9` would): the trial reactivates on the other silo
    /// from its stored state, the holder's lease is honoured (one lease period of grace), and the attempt finishes with
    /// every epoch and exactly one result.</summary>
    [Fact]
    public async Task Killing_the_silo_that_hosts_a_running_trial_loses_nothing()
    {
        await using var cluster = await CreateClusterAsync(silos: 2);
        await Submit(cluster.Orchestrator, Spec("k", 1));
        await Host(cluster.Orchestrator, "h", 1);
        var lease = Assert.Single(await cluster.Orchestrator.AcquireAsync("h", 1, 1));
        Assert.Equal(ReportStatus.Accepted, await cluster.Orchestrator.StartAsync(lease.TrialId, lease.FencingToken, 1));
        Assert.Equal(ReportStatus.Accepted, await cluster.Orchestrator.ReportEpochAsync(lease.TrialId, lease.FencingToken, new EpochReport { Epoch = 1, Map50_95 = 0.1 }));

        var grains = (IGrainFactory)cluster.Silos[0].ServiceProvider.GetService(typeof(IGrainFactory))!;
        var trialGrain = grains.GetGrain<ITrialGrain>(lease.TrialId).GetGrainId();
        var host = cluster.HostOf(trialGrain);
        Assert.NotNull(host);
        await cluster.KillSiloAsync(host!);
        Assert.Single(cluster.Silos, s => s.IsActive);

        var survivor = cluster.Orchestrator;
        Assert.Equal(ReportStatus.Accepted, await survivor.RenewAsync(lease.TrialId, lease.FencingToken));
        Assert.Equal(ReportStatus.Accepted, await survivor.ReportEpochAsync(lease.TrialId, lease.FencingToken, new EpochReport { Epoch = 2, Map50_95 = 0.2 }));
        Assert.Equal(ReportStatus.Accepted, await survivor.ReportEpochAsync(lease.TrialId, lease.FencingToken, new EpochReport { Epoch = 3, Map50_95 = 0.3 }));
        Assert.Equal(ReportStatus.Accepted, await survivor.CompleteAsync(lease.TrialId, lease.FencingToken, Metrics));
        Assert.NotEqual(host!.SiloAddress, cluster.HostOf(trialGrain)?.SiloAddress);

        var trial = (await survivor.Reads.GetTrialAsync(lease.TrialId))!;
        Assert.Equal(TrialState.Succeeded, trial.State);
        Assert.Equal(1, trial.Attempt);
        Assert.Equal([1, 2, 3], (await survivor.Reads.GetEpochsAsync(lease.TrialId)).Select(e => e.Epoch));
        Assert.Single(await survivor.Reads.ListResultsAsync("k"));
        // Nothing leasable is left behind: the trial is final, not pending again.
        Assert.Empty(await survivor.AcquireAsync("h", 1, 1));
    }

    /// <summary>Two activations of one trial (possible for a moment during a membership change) both read version v;
    /// the first write wins and the second — from the stale copy — is refused by the row version, leaving the
    /// winner's state in place. Inserting a row that exists is refused the same way.</summary>
    [Fact]
    public async Task A_write_from_a_stale_copy_of_the_state_is_refused_by_its_etag()
    {
        await using var cluster = await CreateClusterAsync();
        await Submit(cluster.Orchestrator, Spec("etag", 1));
        var id = Assert.Single(await cluster.Orchestrator.Reads.ListTrialsAsync(new TrialQuery("etag"))).Id;
        var storage = new YoloSweep.Grains.Storage.SqlGrainStorage(cluster.Database);
        var grain = GrainId.Create("trial", id);

        var first = new GrainState<TrialRecord>();
        var second = new GrainState<TrialRecord>();
        await storage.ReadStateAsync("trial", grain, first);
        await storage.ReadStateAsync("trial", grain, second);
        Assert.True(first.RecordExists);
        Assert.Equal(first.ETag, second.ETag);

        first.State = first.State with { Error = "written by the first activation", NewEpochs = [], NewEvents = [] };
        await storage.WriteStateAsync("trial", grain, first);
        Assert.NotEqual(second.ETag, first.ETag);

        second.State = second.State with { Error = "written by the stale one", NewEpochs = [], NewEvents = [] };
        await Assert.ThrowsAsync<Orleans.Storage.InconsistentStateException>(() => storage.WriteStateAsync("trial", grain, second));

        var stored = new GrainState<TrialRecord>();
        await storage.ReadStateAsync("trial", grain, stored);
        Assert.Equal("written by the first activation", stored.State.Error);
        Assert.Equal(first.ETag, stored.ETag);

        // Only its sweep creates a trial's row: a trial grain that believes it has none is refused outright.
        var orphan = new GrainState<TrialRecord> { State = stored.State, ETag = null };
        await Assert.ThrowsAsync<InvalidOperationException>(() => storage.WriteStateAsync("trial", grain, orphan));

        // The same guard for sweeps and hosts.
        await Host(cluster.Orchestrator, "h", 1);
        foreach (var (kind, key) in new[] { ("sweep", "etag"), ("host", "h") })
            await StaleWriteIsRefused(storage, kind, key, kind == "sweep"
                ? (Func<object, object>)(r => ((SweepRecord)r) with { Priority = 7 })
                : r => ((HostRecord)r) with { Name = "renamed" });
    }

    static async Task StaleWriteIsRefused(YoloSweep.Grains.Storage.SqlGrainStorage storage, string kind, string key, Func<object, object> change)
    {
        async Task Run<T>() where T : class
        {
            var grain = GrainId.Create(kind, key);
            var a = new GrainState<T>();
            var b = new GrainState<T>();
            await storage.ReadStateAsync(kind, grain, a);
            await storage.ReadStateAsync(kind, grain, b);
            Assert.True(a.RecordExists, $"{kind} {key} has no row");
            a.State = (T)change(a.State);
            await storage.WriteStateAsync(kind, grain, a);
            b.State = (T)change(b.State);
            await Assert.ThrowsAsync<Orleans.Storage.InconsistentStateException>(() => storage.WriteStateAsync(kind, grain, b));
            // A second "first write" (an activation that read before the row existed) is refused the same way.
            var late = new GrainState<T> { State = b.State, ETag = null };
            await Assert.ThrowsAsync<Orleans.Storage.InconsistentStateException>(() => storage.WriteStateAsync(kind, grain, late));
        }
        await (kind == "sweep" ? Run<SweepRecord>() : Run<HostRecord>());
    }
}
