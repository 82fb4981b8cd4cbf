using YoloSweep.Grains.Stores;
using YoloSweep.Testing;

namespace YoloSweep.Grains.Tests;

[Collection("postgres")]
public sealed class PostgresSweepStoreTests(PostgresFixture pg) : SweepStoreContract
{
    string? _database;

    protected override async Task<ISweepStore> CreateStoreAsync(bool reopen = false)
    {
        if (!reopen || _database is null) _database = await pg.Server.CreateDatabaseAsync();
        // The URL form is what YOLOSWEEP_DB carries in a cluster.
        return await SweepStores.OpenAsync(pg.Server.Url(_database), Clock);
    }

    [Fact]
    public async Task Two_stores_on_one_database_act_like_two_silo_replicas()
    {
        var db = await pg.Server.CreateDatabaseAsync();
        await using var a = await SweepStores.OpenAsync(pg.Server.Url(db), Clock);
        await using var b = await SweepStores.OpenAsync(pg.Server.Url(db), Clock);
        await Submit(a, Spec("shared", 40));
        for (var h = 0; h < 4; h++)
            await a.RegisterHostAsync(new Trials.HostInfo { Id = $"h{h}", Devices = [new("gpu0"), new("gpu1")] });
        var leases = new System.Collections.Concurrent.ConcurrentBag<Trials.Lease>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(h => Task.Run(async () =>
        {
            var replica = h % 2 == 0 ? a : b;
            for (var round = 0; round < 30; round++)
                foreach (var l in await replica.AcquireAsync($"h{h}", 2, 2, TimeSpan.FromMinutes(1)))
                {
                    leases.Add(l);
                    await (h % 2 == 0 ? b : a).CompleteAsync(l.TrialId, l.FencingToken, new Contracts.Trials.TrialMetrics { Map50_95 = 0.1 });
                }
        })));
        Assert.Equal(40, leases.Select(l => l.TrialId).Distinct().Count());
        Assert.Equal(40, leases.Count);
    }
}
