using System.Collections.Concurrent;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Hosts;
using YoloSweep.Grains.Trials;
using YoloSweep.Testing;

namespace YoloSweep.Grains.Tests;

[Collection("postgres")]
public sealed class OrchestratorOnPostgresTests(PostgresFixture pg) : OrchestratorContract
{
    string? _database;

    protected override async Task<GrainCluster> CreateClusterAsync(bool reopen = false, int silos = 1)
    {
        if (!reopen || _database is null) _database = await pg.Server.CreateDatabaseAsync();
        // The URL form is what YOLOSWEEP_DB carries in a cluster.
        return await GrainCluster.StartAsync(pg.Server.Url(_database), Clock, silos);
    }

    [Fact]
    public async Task Two_silos_on_one_database_never_lease_a_trial_twice()
    {
        await using var cluster = await GrainCluster.StartAsync(pg.Server.Url(await pg.Server.CreateDatabaseAsync()), Clock, silos: 2);
        var a = cluster.Silos[0].ServiceProvider.GetService(typeof(Orchestrator)) as Orchestrator;
        var b = cluster.Silos[1].ServiceProvider.GetService(typeof(Orchestrator)) as Orchestrator;
        await Submit(a!, Spec("shared", 40));
        for (var h = 0; h < 4; h++) await a!.RegisterHostAsync($"h{h}", $"h{h}", [new DeviceInfo("gpu0"), new DeviceInfo("gpu1")]);
        var leases = new ConcurrentBag<LeaseGrant>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(h => Task.Run(async () =>
        {
            var replica = h % 2 == 0 ? a! : b!;
            for (var round = 0; round < 30; round++)
                foreach (var l in await replica.AcquireAsync($"h{h}", 2, 2))
                {
                    leases.Add(l);
                    Assert.Equal(ReportStatus.Accepted, await (h % 2 == 0 ? b! : a!).CompleteAsync(l.TrialId, l.FencingToken, new TrialMetrics { Map50_95 = 0.1 }));
                }
        })));
        Assert.Equal(40, leases.Select(l => l.TrialId).Distinct().Count());
        Assert.Equal(40, leases.Count);
    }
}
