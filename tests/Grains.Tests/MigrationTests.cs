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

    static async Task CopyRows(Database from, Database to, string table)
    {
        await using var source = await from.OpenAsync();
        var rows = (await source.QueryAsync($"SELECT * FROM {table}")).Cast<IDictionary<string, object?>>().ToList();
        await using var target = await to.OpenAsync();
        foreach (var row in rows)
        {
            var columns = row.Keys.Where(k => k != "version").ToList();
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
