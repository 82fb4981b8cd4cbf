using Xunit.Abstractions;
using YoloSweep.Testing;

namespace YoloSweep.EndToEnd.Tests;

/// <summary>
/// Issue 11 item 11: a database outage longer than the lease, with real processes (a silo on its own PostgreSQL server,
/// which the test stops and starts, a trainer host and its workers). Epoch reports made during the outage used to be
/// given up on after a lease's worth of retries (12 of 1,440 rows lost); they must wait and be replayed in order.
/// 11-20 s depending on load, most of it starting PostgreSQL and the silo process.
/// </summary>
public sealed class OutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Item11_epoch_reports_made_during_a_database_outage_longer_than_the_lease_are_replayed_not_lost()
    {
        await using var pg = await PostgresServer.StartAsync();
        var db = pg.Url(await pg.CreateDatabaseAsync());
        await using var cluster = new Cluster();
        await cluster.StartSiloAsync(db, leaseSeconds: 1);
        cluster.StartTrainer("t", "cpu:2");
        const int epochs = 20;
        var path = cluster.WriteSweep("outage", $$"""
            name: outage
            train: { epochs: {{epochs}}, simulate: { seconds_per_epoch: 0.1 } }
            matrix: { model: yolov5 }
            seeds: [0, 1]
            retry: { max_attempts: 5, backoff_seconds: 0 }
            """);
        Assert.Equal(0, (await cluster.CliAsync("submit", path)).Code);
        var before = await cluster.WaitForAsync("outage", ts => ts.Count == 2 && ts.All(t => t.State == "running" && t.EpochsDone >= 2), TimeSpan.FromSeconds(60));

        // Two and a half leases long: the trials keep training and reporting while nothing can be stored.
        await pg.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await pg.StartAgainAsync();

        var trials = await cluster.WaitForAsync("outage", ts => ts.All(t => t.State is "succeeded" or "failed"), TimeSpan.FromSeconds(60));
        var log = File.ReadAllText(Path.Combine(cluster.Dir, "trainer-t.log"));
        output.WriteLine($"before the outage: {string.Join(", ", before.Select(t => $"{t.Id} epoch {t.EpochsDone}"))}; attempts after: {string.Join(", ", trials.Select(t => t.Attempt))}");
        // reports were made while the database was down (else this test proves nothing) ...
        Assert.Contains("cannot send epoch to the Silo", log);
        // ... and every epoch of every trial is stored, once
        foreach (var t in trials)
        {
            Assert.Equal("succeeded", t.State);
            Assert.Equal(Enumerable.Range(1, epochs), (await cluster.EpochsAsync(t.Id)).Select(e => e.Epoch));
        }
    }
}
