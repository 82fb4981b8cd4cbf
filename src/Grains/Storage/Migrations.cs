using Dapper;

namespace YoloSweep.Grains.Storage;

/// <summary>
/// The schema, as numbered migrations applied in order and recorded in <c>schema_migrations</c>. Migration 1 is the
/// schema that builds before migrations created with <c>CREATE … IF NOT EXISTS</c>, so a database of theirs takes it as
/// a no-op and continues from 2. Never edit a migration that has shipped: add the next one.
/// </summary>
public static class Migrations
{
    public sealed record Migration(int Version, string Name, IReadOnlyList<string> Sql);

    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "sweeps, trials, epochs, hosts, trial events",
        [
            """
            CREATE TABLE IF NOT EXISTS sweeps (
              name TEXT PRIMARY KEY, spec_yaml TEXT NOT NULL, spec_hash TEXT NOT NULL, priority INTEGER NOT NULL,
              max_attempts INTEGER NOT NULL, backoff_ms BIGINT NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0, created_ms BIGINT NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS trials (
              id TEXT PRIMARY KEY, sweep TEXT NOT NULL REFERENCES sweeps(name), ordinal INTEGER NOT NULL,
              model TEXT NOT NULL, scale TEXT NOT NULL, knobs TEXT NOT NULL, seed INTEGER NOT NULL, gpus INTEGER NOT NULL,
              spec_json TEXT NOT NULL, state TEXT NOT NULL, attempt INTEGER NOT NULL DEFAULT 0, token BIGINT NOT NULL DEFAULT 0,
              host_id TEXT, lease_expires_ms BIGINT, not_before_ms BIGINT NOT NULL, start_epoch INTEGER,
              epochs_done INTEGER NOT NULL DEFAULT 0, error TEXT, metrics_json TEXT, artifacts TEXT,
              m_map50 DOUBLE PRECISION, m_map50_95 DOUBLE PRECISION, m_precision DOUBLE PRECISION, m_recall DOUBLE PRECISION,
              m_fitness DOUBLE PRECISION, m_params BIGINT, m_gflops DOUBLE PRECISION, m_latency_ms DOUBLE PRECISION,
              m_epochs INTEGER, m_train_seconds DOUBLE PRECISION, m_images_per_second DOUBLE PRECISION,
              created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL, finished_ms BIGINT)
            """,
            "CREATE INDEX IF NOT EXISTS ix_trials_sweep_state ON trials (sweep, state, ordinal)",
            "CREATE INDEX IF NOT EXISTS ix_trials_state_lease ON trials (state, lease_expires_ms)",
            "CREATE INDEX IF NOT EXISTS ix_trials_host ON trials (host_id, state)",
            """
            CREATE TABLE IF NOT EXISTS epochs (
              trial_id TEXT NOT NULL, epoch INTEGER NOT NULL, token BIGINT NOT NULL, json TEXT NOT NULL, PRIMARY KEY (trial_id, epoch))
            """,
            """
            CREATE TABLE IF NOT EXISTS hosts (
              id TEXT PRIMARY KEY, name TEXT NOT NULL, devices_json TEXT NOT NULL, device_count INTEGER NOT NULL,
              registered_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL)
            """,
            """
            CREATE TABLE IF NOT EXISTS trial_events (
              trial_id TEXT NOT NULL, at_ms BIGINT NOT NULL, kind TEXT NOT NULL, token BIGINT NOT NULL, host_id TEXT, detail TEXT)
            """,
            "CREATE INDEX IF NOT EXISTS ix_trial_events ON trial_events (trial_id, at_ms)",
        ]),
        new(2, "grain state versions (ETags), cluster settings, Orleans membership and reminders",
        [
            // A row version per grain state: INSERT when the ETag is null, UPDATE … WHERE version = ETag otherwise.
            "ALTER TABLE sweeps ADD COLUMN version BIGINT NOT NULL DEFAULT 1",
            "ALTER TABLE trials ADD COLUMN version BIGINT NOT NULL DEFAULT 1",
            "ALTER TABLE hosts ADD COLUMN version BIGINT NOT NULL DEFAULT 1",
            // The scheduler catches up on transitions whose notification it missed by reading what changed since.
            "CREATE INDEX ix_trials_updated ON trials (updated_ms)",
            "CREATE TABLE cluster_settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """
            CREATE TABLE silos (
              cluster_id TEXT NOT NULL, address TEXT NOT NULL, port INTEGER NOT NULL, generation INTEGER NOT NULL,
              silo_name TEXT NOT NULL, host_name TEXT NOT NULL, status INTEGER NOT NULL, proxy_port INTEGER NOT NULL,
              suspect_times TEXT NOT NULL, start_ms BIGINT NOT NULL, alive_ms BIGINT NOT NULL, version BIGINT NOT NULL,
              PRIMARY KEY (cluster_id, address, port, generation))
            """,
            "CREATE TABLE silo_table_versions (cluster_id TEXT PRIMARY KEY, version INTEGER NOT NULL, etag BIGINT NOT NULL)",
            """
            CREATE TABLE reminders (
              service_id TEXT NOT NULL, grain_id TEXT NOT NULL, name TEXT NOT NULL, start_ms BIGINT NOT NULL,
              period_ms BIGINT NOT NULL, grain_hash BIGINT NOT NULL, version BIGINT NOT NULL,
              PRIMARY KEY (service_id, grain_id, name))
            """,
            "CREATE INDEX ix_reminders_hash ON reminders (service_id, grain_hash)",
        ]),
        new(3, "how a trial's latency was measured (IQR, runs, threads, image size, device)",
        [
            // Null for results of the builds before: their latency_ms is a mean of 10 runs on a busy host.
            "ALTER TABLE trials ADD COLUMN m_latency_iqr_ms DOUBLE PRECISION",
            "ALTER TABLE trials ADD COLUMN m_latency_runs INTEGER",
            "ALTER TABLE trials ADD COLUMN m_latency_threads INTEGER",
            "ALTER TABLE trials ADD COLUMN m_latency_imgsz INTEGER",
            "ALTER TABLE trials ADD COLUMN m_latency_device TEXT",
        ]),
    ];

    public static int Latest => All[^1].Version;

    /// <summary>Applies the migrations this database lacks, in one transaction (PostgreSQL silos starting together wait for
    /// each other). Returns the versions applied.</summary>
    public static async Task<IReadOnlyList<int>> ApplyAsync(Database db, CancellationToken ct = default)
    {
        if (!db.Postgres)
        {
            await using var c = await db.OpenAsync(ct);
            await c.ExecuteAsync(new CommandDefinition("PRAGMA journal_mode = WAL", cancellationToken: ct));
        }
        return await db.WriteAsync(async (c, tx) =>
        {
            await db.LockSchemaAsync(c, tx);
            await c.ExecuteAsync(new CommandDefinition(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
                transaction: tx, cancellationToken: ct));
            var done = (await c.QueryAsync<long>(new CommandDefinition("SELECT version FROM schema_migrations", transaction: tx, cancellationToken: ct))).ToHashSet();
            if (done.Count > 0 && done.Max() > Latest)
                throw new InvalidOperationException(
                    $"the database is at schema version {done.Max()}, newer than this build knows ({Latest}): upgrade YoloSweep");
            var applied = new List<int>();
            foreach (var m in All.Where(m => !done.Contains(m.Version)))
            {
                foreach (var sql in m.Sql) await c.ExecuteAsync(new CommandDefinition(sql, transaction: tx, cancellationToken: ct));
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (@Version, @Name, @now)",
                    new { m.Version, m.Name, now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
                applied.Add(m.Version);
            }
            return (IReadOnlyList<int>)applied;
        }, ct);
    }
}
