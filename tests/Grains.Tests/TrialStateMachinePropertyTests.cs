using YoloSweep.Contracts.Sweeps;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Hosts;
using YoloSweep.Grains.Queries;
using YoloSweep.Testing;

namespace YoloSweep.Grains.Tests;

/// <summary>
/// Random interleavings of leases, heartbeats, epochs, expiries, crashes, late reports from crashed hosts and
/// cancellations, against real silos over a real database. Whatever happens: no trial is lost, none gets two results, no report with a
/// superseded token is accepted, and once hosts behave every trial ends in a final state.
/// </summary>
public abstract class TrialStateMachineProperties
{
    protected abstract Task<GrainCluster> CreateClusterAsync(ManualClock clock);

    static readonly TimeSpan LeaseTime = GrainCluster.LeaseTime;

    sealed record Held(string Host, string TrialId, long Token);

    protected async Task RunAsync(int seed, int steps)
    {
        var clock = new ManualClock();
        await using var cluster = await CreateClusterAsync(clock);
        var store = cluster.Orchestrator;
        var rng = new Random(seed);
        var sweeps = new[] { "alpha", "beta" };
        var expected = new HashSet<string>();
        foreach (var name in sweeps)
        {
            var spec = SweepSpecParser.Parse($"name: {name}\nmatrix: {{ model: yolov5 }}\nseeds: [0,1,2,3]\nretry: {{ max_attempts: 4, backoff_seconds: 1 }}\n");
            foreach (var t in SweepExpander.Expand(spec)) expected.Add(t.Id);
            await store.SubmitSweepAsync(name, $"name: {name}\nmatrix: {{ model: yolov5 }}\nseeds: [0,1,2,3]\nretry: {{ max_attempts: 4, backoff_seconds: 1 }}\n", "sweep.yaml");
        }
        var hosts = new[] { "h0", "h1", "h2" };
        foreach (var h in hosts) await store.RegisterHostAsync(h, h, [new DeviceInfo("d0"), new DeviceInfo("d1")]);

        var live = new List<Held>();     // leases hosts believe they hold
        var zombies = new List<Held>();  // leases of crashed hosts, whose late reports may still arrive
        var latestToken = new Dictionary<string, long>();
        var acceptedResults = new Dictionary<string, HashSet<long>>();

        void CheckAccepted(ReportStatus status, Held lease, string what)
        {
            if (status == ReportStatus.Accepted && latestToken[lease.TrialId] != lease.Token)
                Assert.Fail($"seed {seed}: {what} with superseded token {lease.Token} (latest {latestToken[lease.TrialId]}) was accepted");
        }

        async Task Act(Held lease, int kind)
        {
            switch (kind)
            {
                case 0:
                    CheckAccepted(await store.RenewAsync(lease.TrialId, lease.Token), lease, "renew");
                    break;
                case 1:
                    CheckAccepted(await store.ReportEpochAsync(lease.TrialId, lease.Token, new EpochReport { Epoch = rng.Next(1, 5) }), lease, "epoch");
                    break;
                case 2:
                    CheckAccepted(await store.StartAsync(lease.TrialId, lease.Token, 1), lease, "start");
                    break;
                case 3:
                    var status = await store.CompleteAsync(lease.TrialId, lease.Token, new TrialMetrics { Map50_95 = lease.Token / 1000.0 });
                    CheckAccepted(status, lease, "complete");
                    if (status == ReportStatus.Accepted)
                    {
                        (acceptedResults.TryGetValue(lease.TrialId, out var set) ? set : acceptedResults[lease.TrialId] = []).Add(lease.Token);
                        live.Remove(lease);
                    }
                    else if (status != ReportStatus.Accepted) live.Remove(lease);
                    break;
                case 4:
                    CheckAccepted(await store.FailAsync(lease.TrialId, lease.Token, "boom"), lease, "fail");
                    live.Remove(lease);
                    break;
                default:
                    CheckAccepted(await store.ReleaseAsync(lease.TrialId, lease.Token, "host stopping"), lease, "release");
                    live.Remove(lease);
                    break;
            }
        }

        for (var step = 0; step < steps; step++)
        {
            var roll = rng.Next(100);
            if (roll < 20)
            {
                var h = hosts[rng.Next(hosts.Length)];
                var free = 2 - live.Count(l => l.Host == h);
                foreach (var l in await store.AcquireAsync(h, free, 2))
                {
                    Assert.True(!latestToken.TryGetValue(l.TrialId, out var prev) || l.FencingToken > prev, $"seed {seed}: token did not grow");
                    latestToken[l.TrialId] = l.FencingToken;
                    live.Add(new Held(h, l.TrialId, l.FencingToken));
                }
            }
            else if (roll < 60 && live.Count > 0)
            {
                await Act(live[rng.Next(live.Count)], rng.Next(6));
            }
            else if (roll < 68 && zombies.Count > 0)
            {
                await Act(zombies[rng.Next(zombies.Count)], rng.Next(6)); // a late report from a crashed attempt
            }
            else if (roll < 72)
            {
                var h = hosts[rng.Next(hosts.Length)];
                zombies.AddRange(live.Where(l => l.Host == h));
                live.RemoveAll(l => l.Host == h);
            }
            else if (roll < 90)
            {
                clock.Advance(TimeSpan.FromSeconds(rng.Next(1, 40)));
            }
            else if (roll < 99)
            {
                await store.ExpireLeasesAsync();
            }
            else if (rng.Next(4) == 0)
            {
                await store.CancelSweepAsync("beta");
            }
        }

        // Hosts behave from now on: everything must reach a final state.
        zombies.AddRange(live);
        live.Clear();
        for (var round = 0; round < 200; round++)
        {
            clock.Advance(LeaseTime + TimeSpan.FromSeconds(1));
            await store.ExpireLeasesAsync();
            foreach (var h in hosts)
                foreach (var l in await store.AcquireAsync(h, 2, 2))
                {
                    latestToken[l.TrialId] = l.FencingToken;
                    var held = new Held(h, l.TrialId, l.FencingToken);
                    live.Add(held);
                    await Act(held, 3);
                }
            if (zombies.Count > 0) await Act(zombies[rng.Next(zombies.Count)], rng.Next(6));
            var trials = await store.Reads.ListTrialsAsync(new TrialQuery());
            if (trials.All(t => t.State.IsFinal())) break;
        }

        var all = await store.Reads.ListTrialsAsync(new TrialQuery());
        Assert.Equal(expected.Order(), all.Select(t => t.Id).Order()); // none lost, none invented
        Assert.All(all, t => Assert.True(t.State.IsFinal(), $"seed {seed}: trial {t.Id} stuck in {t.State}"));
        foreach (var t in all)
        {
            var succeededEvents = (await store.Reads.GetEventsAsync(t.Id)).Count(e => e.Kind == "succeeded");
            var accepted = acceptedResults.GetValueOrDefault(t.Id)?.Count ?? 0;
            Assert.True(accepted <= 1, $"seed {seed}: trial {t.Id} accepted results from {accepted} different leases");
            if (t.State == TrialState.Succeeded)
            {
                Assert.Equal(1, succeededEvents);
                Assert.Equal(1, accepted);
                Assert.Equal(acceptedResults[t.Id].Single() / 1000.0, t.Metrics!.Map50_95, 9);
            }
            else
            {
                Assert.Equal(0, succeededEvents);
                Assert.Equal(0, accepted);
                if (t.State == TrialState.Failed) Assert.Equal(4, t.Attempt);
                else Assert.Equal(TrialState.Cancelled, t.State);
            }
        }
    }
}

public sealed class TrialStateMachinePropertiesOnSqlite : TrialStateMachineProperties, IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("yolosweep-prop-").FullName;
    int _n;

    protected override Task<GrainCluster> CreateClusterAsync(ManualClock clock) =>
        GrainCluster.StartAsync(Path.Combine(_dir, $"p{_n++}.db"), clock);

    public static IEnumerable<object[]> Seeds => Enumerable.Range(1, 12).Select(s => new object[] { s });

    [Theory]
    [MemberData(nameof(Seeds))]
    public Task Random_interleavings_never_lose_double_or_strand_a_trial(int seed) => RunAsync(seed, steps: 250);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

[Collection("postgres")]
public sealed class TrialStateMachinePropertiesOnPostgres(PostgresFixture pg) : TrialStateMachineProperties
{
    protected override async Task<GrainCluster> CreateClusterAsync(ManualClock clock) =>
        await GrainCluster.StartAsync(pg.Server.ConnectionString(await pg.Server.CreateDatabaseAsync()), clock);

    [Theory]
    [InlineData(101)]
    [InlineData(102)]
    [InlineData(103)]
    public Task Random_interleavings_never_lose_double_or_strand_a_trial(int seed) => RunAsync(seed, steps: 250);
}
