using Dapper;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Hosts;
using YoloSweep.Grains.Queries;
using YoloSweep.Grains.Storage;
using YoloSweep.Testing;

namespace YoloSweep.Grains.Tests;

/// <summary>
/// The schema comes from numbered migrations: from an empty database, and from a database that the build before
/// migrations left (its tables, made with <c>CREATE … IF NOT EXISTS</c>, are migration 1, without the
/// <c>schema_migrations</c> table), whose sweeps must carry on under the grains.
/// </summary>
public abstract class MigrationContract
{
    protected abstract Task<string> NewDatabaseAsync();

    static readonly string[] Tables = ["sweeps", "trials", "epochs", "hosts", "trial_events", "cluster_settings", "silos", "silo_table_versions", "reminders"];

    static async Task<HashSet<string>> TablesOf(Database db)
    {
        await using var c = await db.OpenAsync();
        var sql = db.Postgres
            ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
            : "SELECT name FROM sqlite_master WHERE type = 'table'";
        return (await c.QueryAsync<string>(sql)).ToHashSet();
    }

    static async Task<long[]> VersionsOf(Database db)
    {
        await using var c = await db.OpenAsync();
        return (await c.QueryAsync<long>("SELECT version FROM schema_migrations ORDER BY version")).ToArray();
    }

    [Fact]
    public async Task An_empty_database_gets_every_migration_once()
    {
        await using var db = Database.Open(await NewDatabaseAsync());
        Assert.Equal(Migrations.All.Select(m => m.Version), await Migrations.ApplyAsync(db));
        Assert.Empty(await Migrations.ApplyAsync(db)); // a second silo starting on it applies nothing
        Assert.Equal(Migrations.All.Select(m => (long)m.Version), await VersionsOf(db));
        Assert.Superset(Tables.ToHashSet(), await TablesOf(db));
    }

    [Fact]
    public async Task A_database_newer_than_this_build_is_refused_with_a_message()
    {
        await using var db = Database.Open(await NewDatabaseAsync());
        await Migrations.ApplyAsync(db);
        await using (var c = await db.OpenAsync())
            await c.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_ms) VALUES (@v, 'future', 0)", new { v = Migrations.Latest + 1 });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Migrations.ApplyAsync(db));
        Assert.Contains("newer than this build", e.Message);
    }

    /// <summary>A database of the build before migrations: its sweep (one result, one trial waiting) is migrated in
    /// place and carries on: the old result stays on the leaderboard, the waiting trial is leased and finished.</summary>
    [Fact]
    public async Task A_database_of_the_build_before_migrations_is_upgraded_and_its_sweep_carries_on()
    {
        var clock = new ManualClock();
        // Rows as the old build wrote them: made here through today's grains, then copied, less the columns later
        // migrations added, into a database holding only migration 1's tables.
        var source = await NewDatabaseAsync();
        await using (var cluster = await GrainCluster.StartAsync(source, clock))
        {
            var o = cluster.Orchestrator;
            await o.SubmitSweepAsync("old", """
                name: old
                train: { epochs: 1, simulate: { seconds_per_epoch: 0 } }
                matrix: { model: yolov5 }
                seeds: [0, 1]
                """, "old.yaml");
            await o.RegisterHostAsync("h", "h", [new DeviceInfo("gpu0")]);
            var lease = Assert.Single(await o.AcquireAsync("h", 1, 1));
            await o.StartAsync(lease.TrialId, lease.FencingToken, 1);
            await o.ReportEpochAsync(lease.TrialId, lease.FencingToken, new EpochReport { Epoch = 1, Map50_95 = 0.4 });
            Assert.Equal(ReportStatus.Accepted, await o.CompleteAsync(lease.TrialId, lease.FencingToken, new TrialMetrics { Map50 = 0.6, Map50_95 = 0.4, Epochs = 1 }));
        }

        var old = await NewDatabaseAsync();
        await using (var from = Database.Open(source))
        await using (var to = Database.Open(old))
        {
            await to.WriteAsync(async (c, tx) =>
            {
                foreach (var sql in Migrations.All[0].Sql) await c.ExecuteAsync(sql, transaction: tx);
                return 0;
            });
            foreach (var table in new[] { "sweeps", "trials", "epochs", "hosts", "trial_events" })
                await CopyRows(from, to, table);
        }

        await using var db = Database.Open(old);
        Assert.DoesNotContain("schema_migrations", await TablesOf(db));
        Assert.Equal(Migrations.All.Select(m => m.Version), await Migrations.ApplyAsync(db));

        await using var upgraded = await GrainCluster.StartAsync(old, clock);
        var orchestrator = upgraded.Orchestrator;
        var trials = await orchestrator.Reads.ListTrialsAsync(new TrialQuery("old"));
        Assert.Equal([TrialState.Pending, TrialState.Succeeded], trials.Select(t => t.State).Order());
        await orchestrator.RegisterHostAsync("h2", "h2", [new DeviceInfo("gpu0")]);
        var next = Assert.Single(await orchestrator.AcquireAsync("h2", 1, 1));
        Assert.Equal(trials.Single(t => t.State == TrialState.Pending).Id, next.TrialId);
        Assert.Equal(ReportStatus.Accepted, await orchestrator.StartAsync(next.TrialId, next.FencingToken, 1));
        Assert.Equal(ReportStatus.Accepted, await orchestrator.CompleteAsync(next.TrialId, next.FencingToken, new TrialMetrics { Map50 = 0.5, Map50_95 = 0.3, Epochs = 1 }));
        // The succeeded trial of the old build is final: a stale report against it is refused, its result kept.
        var done = trials.Single(t => t.State == TrialState.Succeeded);
        Assert.Equal(ReportStatus.Stale, await orchestrator.CompleteAsync(done.Id, done.FencingToken + 1, new TrialMetrics { Map50_95 = 0.99 }));
        var results = await orchestrator.Reads.ListResultsAsync("old");
        Assert.Equal(2, results.Count);
        Assert.Equal([0.3, 0.4], results.Select(r => r.Metrics.Map50_95).Order());
    }

    /// <summary>Copies the rows of <paramref name="table"/>, in the columns the target's table has (those later
    /// migrations added are left out).</summary>
    /// <summary>Migration 3: how a latency was measured is stored in its own columns, read back with the results,
    /// and null for a result without those figures.</summary>
    [Fact]
    public async Task Latency_figures_are_stored_in_their_columns_and_read_back_with_the_results()
    {
        var url = await NewDatabaseAsync();
        await using (var cluster = await GrainCluster.StartAsync(url, new ManualClock()))
        {
            var o = cluster.Orchestrator;
            await o.SubmitSweepAsync("lat", """
                name: lat
                train: { epochs: 1, simulate: { seconds_per_epoch: 0 } }
                matrix: { model: yolov8 }
                seeds: [0, 1]
                """, "lat.yaml");
            await o.RegisterHostAsync("h", "h", [new DeviceInfo("gpu0"), new DeviceInfo("gpu1")]);
            var leases = await o.AcquireAsync("h", 2, 2);
            Assert.Equal(2, leases.Count);
            foreach (var l in leases) Assert.Equal(ReportStatus.Accepted, await o.StartAsync(l.TrialId, l.FencingToken, 1));
            Assert.Equal(ReportStatus.Accepted, await o.CompleteAsync(leases[0].TrialId, leases[0].FencingToken, new TrialMetrics
            {
                Map50_95 = 0.4, LatencyMs = 12.5, LatencyIqrMs = 0.75, LatencyRuns = 30, LatencyThreads = 2, LatencyImgsz = 64, LatencyDevice = "cpu",
            }));
            Assert.Equal(ReportStatus.Accepted, await o.CompleteAsync(leases[1].TrialId, leases[1].FencingToken, new TrialMetrics { Map50_95 = 0.3, LatencyMs = 9 }));

            var results = (await o.Reads.ListResultsAsync("lat")).ToDictionary(r => r.TrialId, r => r.Metrics);
            var m = results[leases[0].TrialId];
            Assert.Equal((12.5, 0.75, 30, 2, 64, "cpu"), (m.LatencyMs, m.LatencyIqrMs, m.LatencyRuns, m.LatencyThreads, m.LatencyImgsz, m.LatencyDevice));
            var old = results[leases[1].TrialId];
            Assert.Equal((9.0, null, null, null, null, null), (old.LatencyMs, old.LatencyIqrMs, old.LatencyRuns, old.LatencyThreads, old.LatencyImgsz, old.LatencyDevice));
            Assert.Equal(m, (await o.Reads.GetTrialAsync(leases[0].TrialId))!.Metrics);
        }
        await using var db = Database.Open(url);
        await using var c = await db.OpenAsync();
        var device = await c.QueryFirstAsync<string?>("SELECT m_latency_device FROM trials WHERE m_latency_runs = 30");
        Assert.Equal("cpu", device);
    }

    static async Task CopyRows(Database from, Database to, string table)
    {
        await using var source = await from.OpenAsync();
        var rows = (await source.QueryAsync($"SELECT * FROM {table}")).Cast<IDictionary<string, object?>>().ToList();
        await using var target = await to.OpenAsync();
        HashSet<string> has;
        await using (var r = await target.ExecuteReaderAsync($"SELECT * FROM {table} WHERE 1 = 0"))
            has = Enumerable.Range(0, r.FieldCount).Select(r.GetName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var row in rows)
        {
            var columns = row.Keys.Where(has.Contains).ToList();
            var p = new DynamicParameters();
            foreach (var k in columns) p.Add(k, row[k]);
            await target.ExecuteAsync($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(k => "@" + k))})", p);
        }
    }
}

public sealed class MigrationsOnSqliteTests : MigrationContract, IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("yolosweep-migrations-").FullName;
    int _n;
    protected override Task<string> NewDatabaseAsync() => Task.FromResult(Path.Combine(_dir, $"db{++_n}.db"));

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}

[Collection("postgres")]
public sealed class MigrationsOnPostgresTests(PostgresFixture pg) : MigrationContract
{
    protected override async Task<string> NewDatabaseAsync() => pg.Server.Url(await pg.Server.CreateDatabaseAsync());
}
