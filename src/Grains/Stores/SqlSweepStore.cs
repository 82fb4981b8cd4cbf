using YoloSweep.Contracts;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using YoloSweep.Contracts.Sweeps;
using YoloSweep.Grains.Sweeps;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Stores;

/// <summary>
/// The store logic shared by SQLite and PostgreSQL: plain SQL both understand (ON CONFLICT, RETURNING), every
/// transition a conditional UPDATE on (id, state, token) whose row count says whether it won. The dialects only
/// differ in how a connection and a write transaction are obtained.
/// </summary>
public abstract class SqlSweepStore(TimeProvider clock) : ISweepStore
{
    protected TimeProvider Clock { get; } = clock;

    static SqlSweepStore() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    protected abstract Task<DbConnection> OpenAsync(CancellationToken ct);

    /// <summary>Runs <paramref name="work"/> in a write transaction, committing on success (retrying on lock conflicts).</summary>
    protected abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct);

    /// <summary>Row-lock clause for choosing pending trials; PostgreSQL skips rows other replicas are leasing.</summary>
    protected virtual string SkipLocked => "";

    /// <summary>Serialises schema creation between replicas starting at once (PostgreSQL); nothing for SQLite.</summary>
    protected virtual Task LockSchemaAsync(DbConnection c, DbTransaction tx) => Task.CompletedTask;

    const string Active = "('leased','running')";
    const string Unfinished = "('pending','leased','running')";

    static readonly string[] Schema =
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
    ];

    long Now => Clock.GetUtcNow().ToUnixTimeMilliseconds();
    static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    static DateTimeOffset? At(long? ms) => ms is { } v ? At(v) : null;

    public virtual async Task InitializeAsync(CancellationToken ct = default) =>
        await WriteAsync(async (c, tx) =>
        {
            await LockSchemaAsync(c, tx);
            foreach (var ddl in Schema) await c.ExecuteAsync(new CommandDefinition(ddl, transaction: tx, cancellationToken: ct));
            return 0;
        }, ct);

    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            await using var c = await OpenAsync(ct);
            return await c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT COUNT(*) FROM sweeps WHERE 1=0", cancellationToken: ct)) == 0;
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }

    // ---------------- sweeps ----------------

    public static string SpecHash(SweepSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Json.Serialize(spec))));

    public async Task<(SubmitOutcome Outcome, Sweep? Sweep)> SubmitSweepAsync(SweepSpec spec, string specYaml, IReadOnlyList<TrialSpec> trials, CancellationToken ct = default)
    {
        var hash = SpecHash(spec);
        for (var tries = 0; ; tries++)
        {
            try
            {
                var outcome = await WriteAsync(async (c, tx) =>
                {
                    var existing = await c.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
                        "SELECT spec_hash FROM sweeps WHERE name = @name", new { name = spec.Name }, tx, cancellationToken: ct));
                    if (existing is not null) return existing == hash ? SubmitOutcome.AlreadyExists : SubmitOutcome.NameConflict;
                    var now = Now;
                    await c.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO sweeps (name, spec_yaml, spec_hash, priority, max_attempts, backoff_ms, cancelled, created_ms)
                        VALUES (@Name, @yaml, @hash, @Priority, @MaxAttempts, @backoff, 0, @now)
                        """,
                        new { spec.Name, yaml = specYaml, hash, spec.Priority, spec.MaxAttempts, backoff = (long)(spec.BackoffSeconds * 1000), now }, tx, cancellationToken: ct));
                    var rows = trials.Select((t, i) => new
                    {
                        id = t.Id, sweep = spec.Name, ordinal = i, model = t.Model, scale = t.Scale, knobs = t.KnobsText,
                        seed = t.Seed, gpus = t.Gpus, spec_json = Json.Serialize(t), now,
                    });
                    await c.ExecuteAsync(new CommandDefinition(
                        """
                        INSERT INTO trials (id, sweep, ordinal, model, scale, knobs, seed, gpus, spec_json, state, not_before_ms, created_ms, updated_ms)
                        VALUES (@id, @sweep, @ordinal, @model, @scale, @knobs, @seed, @gpus, @spec_json, 'pending', @now, @now, @now)
                        """, rows, tx, cancellationToken: ct));
                    return SubmitOutcome.Created;
                }, ct);
                return (outcome, await GetSweepAsync(spec.Name, ct));
            }
            catch (DbException) when (tries == 0)
            {
                // Another replica inserted the same name between our check and insert: look again.
            }
        }
    }

    sealed class SweepRow
    {
        public string Name { get; set; } = "";
        public string SpecYaml { get; set; } = "";
        public long Priority { get; set; }
        public long MaxAttempts { get; set; }
        public long BackoffMs { get; set; }
        public long Cancelled { get; set; }
        public long CreatedMs { get; set; }
    }

    sealed class CountRow
    {
        public string Sweep { get; set; } = "";
        public string State { get; set; } = "";
        public long N { get; set; }
    }

    public async Task<IReadOnlyList<Sweep>> ListSweepsAsync(CancellationToken ct = default) => await LoadSweepsAsync(null, ct);

    public async Task<Sweep?> GetSweepAsync(string name, CancellationToken ct = default) => (await LoadSweepsAsync(name, ct)).FirstOrDefault();

    async Task<IReadOnlyList<Sweep>> LoadSweepsAsync(string? name, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var where = name is null ? "" : " WHERE name = @name";
        var sweeps = (await c.QueryAsync<SweepRow>(new CommandDefinition(
            "SELECT name, spec_yaml, priority, max_attempts, backoff_ms, cancelled, created_ms FROM sweeps" + where + " ORDER BY created_ms, name",
            new { name }, cancellationToken: ct))).ToList();
        var counts = (await c.QueryAsync<CountRow>(new CommandDefinition(
            "SELECT sweep, state, COUNT(*) AS n FROM trials" + (name is null ? "" : " WHERE sweep = @name") + " GROUP BY sweep, state",
            new { name }, cancellationToken: ct))).ToList();
        return sweeps.Select(s => new Sweep
        {
            Name = s.Name, SpecYaml = s.SpecYaml, Priority = (int)s.Priority, MaxAttempts = (int)s.MaxAttempts,
            BackoffSeconds = s.BackoffMs / 1000.0, Cancelled = s.Cancelled != 0, CreatedAt = At(s.CreatedMs),
            Counts = counts.Where(x => x.Sweep == s.Name).ToDictionary(x => TrialStates.FromDb(x.State), x => (int)x.N),
        }).ToList();
    }

    public async Task<bool> CancelSweepAsync(string name, CancellationToken ct = default) =>
        await WriteAsync(async (c, tx) =>
        {
            var n = await c.ExecuteAsync(new CommandDefinition("UPDATE sweeps SET cancelled = 1 WHERE name = @name", new { name }, tx, cancellationToken: ct));
            if (n == 0) return false;
            var now = Now;
            await c.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO trial_events (trial_id, at_ms, kind, token, host_id, detail) SELECT id, @now, 'cancelled', token, host_id, NULL FROM trials WHERE sweep = @name AND state IN {Unfinished}",
                new { name, now }, tx, cancellationToken: ct));
            await c.ExecuteAsync(new CommandDefinition(
                $"UPDATE trials SET state = 'cancelled', error = 'sweep cancelled', finished_ms = @now, updated_ms = @now, lease_expires_ms = NULL WHERE sweep = @name AND state IN {Unfinished}",
                new { name, now }, tx, cancellationToken: ct));
            return true;
        }, ct);

    // ---------------- trials ----------------

    sealed class TrialRow
    {
        public string Id { get; set; } = "";
        public string Sweep { get; set; } = "";
        public long Ordinal { get; set; }
        public string SpecJson { get; set; } = "";
        public string State { get; set; } = "";
        public long Attempt { get; set; }
        public long Token { get; set; }
        public string? HostId { get; set; }
        public long? LeaseExpiresMs { get; set; }
        public long NotBeforeMs { get; set; }
        public long? StartEpoch { get; set; }
        public long EpochsDone { get; set; }
        public string? Error { get; set; }
        public string? MetricsJson { get; set; }
        public string? Artifacts { get; set; }
        public long CreatedMs { get; set; }
        public long UpdatedMs { get; set; }
        public long? FinishedMs { get; set; }

        public Trial ToTrial() => new()
        {
            Id = Id, Sweep = Sweep, Ordinal = (int)Ordinal, Spec = Json.Deserialize<TrialSpec>(SpecJson)!,
            State = TrialStates.FromDb(State), Attempt = (int)Attempt, FencingToken = Token, HostId = HostId,
            LeaseExpiresAt = At(LeaseExpiresMs), NotBefore = At(NotBeforeMs), StartEpoch = (int?)StartEpoch,
            EpochsDone = (int)EpochsDone, Error = Error,
            Metrics = MetricsJson is null ? null : Json.Deserialize<TrialMetrics>(MetricsJson), Artifacts = Artifacts,
            CreatedAt = At(CreatedMs), UpdatedAt = At(UpdatedMs), FinishedAt = At(FinishedMs),
        };
    }

    const string TrialColumns =
        "id, sweep, ordinal, spec_json, state, attempt, token, host_id, lease_expires_ms, not_before_ms, start_epoch, epochs_done, error, metrics_json, artifacts, created_ms, updated_ms, finished_ms";

    public async Task<IReadOnlyList<Trial>> ListTrialsAsync(TrialQuery query, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var where = new List<string>();
        if (query.Sweep is not null) where.Add("sweep = @Sweep");
        if (query.State is not null) where.Add("state = @state");
        var sql = $"SELECT {TrialColumns} FROM trials" + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") +
                  " ORDER BY sweep, ordinal LIMIT @Limit";
        var rows = await c.QueryAsync<TrialRow>(new CommandDefinition(sql, new { query.Sweep, state = query.State?.ToDb(), query.Limit }, cancellationToken: ct));
        return rows.Select(r => r.ToTrial()).ToList();
    }

    public async Task<Trial?> GetTrialAsync(string id, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<TrialRow>(new CommandDefinition($"SELECT {TrialColumns} FROM trials WHERE id = @id", new { id }, cancellationToken: ct));
        return row?.ToTrial();
    }

    public async Task<IReadOnlyList<EpochReport>> GetEpochsAsync(string trialId, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<string>(new CommandDefinition("SELECT json FROM epochs WHERE trial_id = @trialId ORDER BY epoch", new { trialId }, cancellationToken: ct));
        return rows.Select(j => Json.Deserialize<EpochReport>(j)!).ToList();
    }

    sealed class ResultRow
    {
        public string Id { get; set; } = "";
        public string Sweep { get; set; } = "";
        public string Model { get; set; } = "";
        public string Scale { get; set; } = "";
        public string Knobs { get; set; } = "";
        public long Seed { get; set; }
        public double? MMap50 { get; set; }
        public double? MMap5095 { get; set; }
        public double? MPrecision { get; set; }
        public double? MRecall { get; set; }
        public double? MFitness { get; set; }
        public long? MParams { get; set; }
        public double? MGflops { get; set; }
        public double? MLatencyMs { get; set; }
        public long? MEpochs { get; set; }
        public double? MTrainSeconds { get; set; }
        public double? MImagesPerSecond { get; set; }
    }

    public async Task<IReadOnlyList<TrialResult>> ListResultsAsync(string? sweep, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var sql = """
            SELECT id, sweep, model, scale, knobs, seed, m_map50, m_map50_95 AS m_map5095, m_precision, m_recall, m_fitness, m_params,
                   m_gflops, m_latency_ms, m_epochs, m_train_seconds, m_images_per_second
            FROM trials WHERE state = 'succeeded'
            """ + (sweep is null ? "" : " AND sweep = @sweep");
        var rows = await c.QueryAsync<ResultRow>(new CommandDefinition(sql, new { sweep }, cancellationToken: ct));
        return rows.Select(r => new TrialResult(r.Id, r.Sweep, r.Model, r.Scale, r.Knobs, (int)r.Seed, new TrialMetrics
        {
            Map50 = r.MMap50 ?? 0, Map50_95 = r.MMap5095 ?? 0, Precision = r.MPrecision ?? 0, Recall = r.MRecall ?? 0,
            Fitness = r.MFitness ?? 0, Params = r.MParams ?? 0, Gflops = r.MGflops ?? 0, LatencyMs = r.MLatencyMs ?? 0,
            Epochs = (int)(r.MEpochs ?? 0), TrainSeconds = r.MTrainSeconds ?? 0, ImagesPerSecond = r.MImagesPerSecond ?? 0,
        })).ToList();
    }

    sealed class GroupRow
    {
        public string Sweep { get; set; } = "";
        public string Model { get; set; } = "";
        public string Scale { get; set; } = "";
        public string Knobs { get; set; } = "";
        public long N { get; set; }
        public double S1 { get; set; }
        public double S2 { get; set; }
        public double S3 { get; set; }
        public double S4 { get; set; }
        public double Sp { get; set; }
        public double Sg { get; set; }
        public double Sl { get; set; }
        public double St { get; set; }
    }

    public async Task<IReadOnlyList<ResultGroup>> ListResultGroupsAsync(string? sweep, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var sql = """
            SELECT sweep, model, scale, knobs, COUNT(*) AS n,
                   SUM(COALESCE(m_map50_95, 0)) AS s1, SUM(COALESCE(m_map50_95 * m_map50_95, 0)) AS s2,
                   SUM(COALESCE(m_map50, 0)) AS s3, SUM(COALESCE(m_map50 * m_map50, 0)) AS s4,
                   SUM(CAST(COALESCE(m_params, 0) AS DOUBLE PRECISION)) AS sp, SUM(COALESCE(m_gflops, 0)) AS sg,
                   SUM(COALESCE(m_latency_ms, 0)) AS sl, SUM(COALESCE(m_train_seconds, 0)) AS st
            FROM trials WHERE state = 'succeeded'
            """ + (sweep is null ? "" : " AND sweep = @sweep") + " GROUP BY sweep, model, scale, knobs";
        var rows = await c.QueryAsync<GroupRow>(new CommandDefinition(sql, new { sweep }, cancellationToken: ct));
        return rows.Select(r => new ResultGroup(r.Sweep, r.Model, r.Scale, r.Knobs, (int)r.N, r.S1, r.S2, r.S3, r.S4, r.Sp, r.Sg, r.Sl, r.St)).ToList();
    }

    // ---------------- hosts ----------------

    public async Task RegisterHostAsync(HostInfo host, CancellationToken ct = default) =>
        await WriteAsync(async (c, tx) =>
        {
            var now = Now;
            return await c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO hosts (id, name, devices_json, device_count, registered_ms, last_seen_ms) VALUES (@Id, @Name, @devices, @count, @now, @now)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, devices_json = excluded.devices_json, device_count = excluded.device_count, last_seen_ms = excluded.last_seen_ms
                """,
                new { host.Id, host.Name, devices = Json.Serialize(host.Devices), count = host.Devices.Count, now }, tx, cancellationToken: ct));
        }, ct);

    public async Task<bool> TouchHostAsync(string hostId, CancellationToken ct = default) =>
        await WriteAsync(async (c, tx) => await c.ExecuteAsync(new CommandDefinition(
            "UPDATE hosts SET last_seen_ms = @now WHERE id = @hostId", new { hostId, now = Now }, tx, cancellationToken: ct)) == 1, ct);

    sealed class HostRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string DevicesJson { get; set; } = "[]";
        public long RegisteredMs { get; set; }
        public long LastSeenMs { get; set; }
    }

    public async Task<IReadOnlyList<HostInfo>> ListHostsAsync(CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<HostRow>(new CommandDefinition("SELECT id, name, devices_json, registered_ms, last_seen_ms FROM hosts ORDER BY id", cancellationToken: ct));
        return rows.Select(r => new HostInfo
        {
            Id = r.Id, Name = r.Name, Devices = Json.Deserialize<List<DeviceInfo>>(r.DevicesJson) ?? [],
            RegisteredAt = At(r.RegisteredMs), LastSeenAt = At(r.LastSeenMs),
        }).ToList();
    }

    // ---------------- leases ----------------

    sealed class SweepLoad
    {
        public string Name { get; set; } = "";
        public long Priority { get; set; }
        public long CreatedMs { get; set; }
        public long Inflight { get; set; }
    }

    sealed class Candidate
    {
        public string Id { get; set; } = "";
        public long Gpus { get; set; }
    }

    sealed class Leased
    {
        public long Token { get; set; }
        public long Attempt { get; set; }
        public string SpecJson { get; set; } = "";
    }

    public async Task<IReadOnlyList<Lease>> AcquireAsync(string hostId, int freeDevices, int max, TimeSpan leaseDuration, CancellationToken ct = default)
    {
        if (freeDevices <= 0 || max <= 0) return [];
        return await WriteAsync(async (c, tx) =>
        {
            var now = Now;
            var registered = await c.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                "SELECT device_count FROM hosts WHERE id = @hostId", new { hostId }, tx, cancellationToken: ct))
                ?? throw new UnknownHostException(hostId);
            var held = await c.ExecuteScalarAsync<long>(new CommandDefinition(
                $"SELECT COALESCE(SUM(gpus), 0) FROM trials WHERE host_id = @hostId AND state IN {Active}", new { hostId }, tx, cancellationToken: ct));
            // Only now and then: concurrent acquires of one host would otherwise queue on its row lock.
            await c.ExecuteAsync(new CommandDefinition("UPDATE hosts SET last_seen_ms = @now WHERE id = @hostId AND last_seen_ms < @stale",
                new { hostId, now, stale = now - 5000 }, tx, cancellationToken: ct));
            var free = (int)Math.Min(freeDevices, registered - held);
            if (free <= 0) return (IReadOnlyList<Lease>)[];

            var sweeps = (await c.QueryAsync<SweepLoad>(new CommandDefinition(
                $"""
                SELECT s.name, s.priority, s.created_ms,
                       (SELECT COUNT(*) FROM trials x WHERE x.sweep = s.name AND x.state IN {Active}) AS inflight
                FROM sweeps s
                WHERE s.cancelled = 0 AND EXISTS (SELECT 1 FROM trials p WHERE p.sweep = s.name AND p.state = 'pending' AND p.not_before_ms <= @now)
                """, new { now }, tx, cancellationToken: ct))).ToList();

            var leases = new List<Lease>();
            var queues = new Dictionary<string, Queue<Candidate>>();
            var expires = now + (long)leaseDuration.TotalMilliseconds;
            while (free > 0 && leases.Count < max && sweeps.Count > 0)
            {
                // Highest priority first; among equals the sweep with the fewest trials in flight (fair share).
                var sweep = sweeps.OrderByDescending(s => s.Priority).ThenBy(s => s.Inflight).ThenBy(s => s.CreatedMs).ThenBy(s => s.Name, StringComparer.Ordinal).First();
                if (!queues.TryGetValue(sweep.Name, out var queue) || queue.Count == 0)
                {
                    queue = new Queue<Candidate>(await c.QueryAsync<Candidate>(new CommandDefinition(
                        $"SELECT id, gpus FROM trials WHERE sweep = @name AND state = 'pending' AND not_before_ms <= @now AND gpus <= @free ORDER BY ordinal LIMIT @n{SkipLocked}",
                        new { name = sweep.Name, now, free, n = Math.Max(max, 8) }, tx, cancellationToken: ct)));
                    queues[sweep.Name] = queue;
                    if (queue.Count == 0) { sweeps.Remove(sweep); continue; }
                }
                var candidate = queue.Dequeue();
                if (candidate.Gpus > free) continue;
                var leased = await c.QueryFirstOrDefaultAsync<Leased>(new CommandDefinition(
                    """
                    UPDATE trials SET state = 'leased', attempt = attempt + 1, token = token + 1, host_id = @hostId,
                                      lease_expires_ms = @expires, updated_ms = @now, start_epoch = NULL
                    WHERE id = @id AND state = 'pending'
                    RETURNING token, attempt, spec_json
                    """, new { id = candidate.Id, hostId, expires, now }, tx, cancellationToken: ct));
                if (leased is null) continue; // taken by another replica in the meantime
                await Event(c, tx, candidate.Id, now, "leased", leased.Token, hostId, $"attempt {leased.Attempt}", ct);
                leases.Add(new Lease
                {
                    TrialId = candidate.Id, FencingToken = leased.Token, HostId = hostId, ExpiresAt = At(expires),
                    Attempt = (int)leased.Attempt, Resume = leased.Token > 1, Spec = Json.Deserialize<TrialSpec>(leased.SpecJson)!,
                });
                free -= (int)candidate.Gpus;
                sweep.Inflight++;
            }
            return leases;
        }, ct);
    }

    public Task<ReportStatus> RenewAsync(string trialId, long token, TimeSpan leaseDuration, CancellationToken ct = default) =>
        // An expired lease the reaper has not taken back yet can still be renewed: nobody else owns the trial.
        Transition(trialId, token, "renewed", null,
            "UPDATE trials SET lease_expires_ms = @expires, updated_ms = @now WHERE id = @trialId AND token = @token AND state IN ('leased','running')",
            new { expires = Now + (long)leaseDuration.TotalMilliseconds }, ct, logEvent: false);

    public Task<ReportStatus> StartAsync(string trialId, long token, int startEpoch, TimeSpan leaseDuration, CancellationToken ct = default) =>
        Transition(trialId, token, "started", $"from epoch {startEpoch}",
            "UPDATE trials SET state = 'running', start_epoch = @startEpoch, lease_expires_ms = @expires, updated_ms = @now WHERE id = @trialId AND token = @token AND state IN ('leased','running')",
            new { startEpoch, expires = Now + (long)leaseDuration.TotalMilliseconds }, ct);

    public Task<ReportStatus> ReportEpochAsync(string trialId, long token, EpochReport epoch, TimeSpan leaseDuration, CancellationToken ct = default) =>
        Transition(trialId, token, "epoch", null,
            "UPDATE trials SET state = 'running', epochs_done = @Epoch, lease_expires_ms = @expires, updated_ms = @now WHERE id = @trialId AND token = @token AND state IN ('leased','running')",
            new { epoch.Epoch, expires = Now + (long)leaseDuration.TotalMilliseconds }, ct, logEvent: false,
            after: (c, tx) => c.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO epochs (trial_id, epoch, token, json) VALUES (@trialId, @Epoch, @token, @json)
                ON CONFLICT (trial_id, epoch) DO UPDATE SET token = excluded.token, json = excluded.json
                """, new { trialId, epoch.Epoch, token, json = Json.Serialize(epoch) }, tx, cancellationToken: ct)));

    public Task<ReportStatus> CompleteAsync(string trialId, long token, TrialMetrics metrics, string? artifacts = null, CancellationToken ct = default) =>
        Transition(trialId, token, "succeeded", $"map50_95 {metrics.Map50_95:0.####}",
            """
            UPDATE trials SET state = 'succeeded', metrics_json = @json, artifacts = @artifacts, error = NULL, lease_expires_ms = NULL, finished_ms = @now, updated_ms = @now,
              m_map50 = @Map50, m_map50_95 = @Map50_95, m_precision = @Precision, m_recall = @Recall, m_fitness = @Fitness, m_params = @Params,
              m_gflops = @Gflops, m_latency_ms = @LatencyMs, m_epochs = @Epochs, m_train_seconds = @TrainSeconds, m_images_per_second = @ImagesPerSecond
            WHERE id = @trialId AND token = @token AND state IN ('leased','running')
            """,
            new
            {
                json = Json.Serialize(metrics), artifacts, metrics.Map50, metrics.Map50_95, metrics.Precision, metrics.Recall, metrics.Fitness, metrics.Params,
                metrics.Gflops, metrics.LatencyMs, metrics.Epochs, metrics.TrainSeconds, metrics.ImagesPerSecond,
            }, ct, idempotentState: TrialState.Succeeded);

    public Task<ReportStatus> ReleaseAsync(string trialId, long token, string reason, CancellationToken ct = default) =>
        Transition(trialId, token, "released", reason.Length > 4000 ? reason[..4000] : reason,
            "UPDATE trials SET state = 'pending', attempt = attempt - 1, error = @reason, host_id = NULL, lease_expires_ms = NULL, not_before_ms = @now, updated_ms = @now WHERE id = @trialId AND token = @token AND state IN ('leased','running')",
            new { reason }, ct);

    public async Task<ReportStatus> FailAsync(string trialId, long token, string reason, bool retryable = true, CancellationToken ct = default)
    {
        reason = reason.Length > 4000 ? reason[..4000] : reason;
        return await WriteAsync(async (c, tx) =>
        {
            var now = Now;
            var row = await c.QueryFirstOrDefaultAsync<RetryRow>(new CommandDefinition(
                "SELECT t.state, t.token, t.attempt, t.host_id, s.max_attempts, s.backoff_ms FROM trials t JOIN sweeps s ON s.name = t.sweep WHERE t.id = @trialId",
                new { trialId }, tx, cancellationToken: ct));
            if (row is null) return ReportStatus.NotFound;
            if (row.Token != token) return ReportStatus.Stale;
            if (row.State == "cancelled") return ReportStatus.Cancelled;
            if (row.State == "failed") return ReportStatus.Accepted; // the same report again
            if (row.State is not ("leased" or "running")) return ReportStatus.Stale;
            return await GiveBack(c, tx, trialId, row, reason, retryable, now, ct) ? ReportStatus.Accepted : ReportStatus.Stale;
        }, ct);
    }

    sealed class RetryRow
    {
        public string Id { get; set; } = "";
        public string State { get; set; } = "";
        public long Token { get; set; }
        public long Attempt { get; set; }
        public string? HostId { get; set; }
        public long MaxAttempts { get; set; }
        public long BackoffMs { get; set; }
    }

    /// <summary>Ends the current lease: back to pending after an exponential backoff, or failed when attempts are used up.</summary>
    async Task<bool> GiveBack(DbConnection c, DbTransaction tx, string trialId, RetryRow row, string reason, bool retryable, long now, CancellationToken ct)
    {
        var final = !retryable || row.Attempt >= row.MaxAttempts;
        var notBefore = now + (long)Math.Min(row.BackoffMs * Math.Pow(2, Math.Max(0, row.Attempt - 1)), 3_600_000);
        var n = await c.ExecuteAsync(new CommandDefinition(
            final
                ? "UPDATE trials SET state = 'failed', error = @reason, lease_expires_ms = NULL, finished_ms = @now, updated_ms = @now WHERE id = @trialId AND token = @Token AND state IN ('leased','running')"
                : "UPDATE trials SET state = 'pending', error = @reason, host_id = NULL, lease_expires_ms = NULL, not_before_ms = @notBefore, updated_ms = @now WHERE id = @trialId AND token = @Token AND state IN ('leased','running')",
            new { trialId, row.Token, reason, now, notBefore }, tx, cancellationToken: ct));
        if (n == 1)
            await Event(c, tx, trialId, now, final ? "failed" : "retry", row.Token, row.HostId,
                final ? $"attempt {row.Attempt}/{row.MaxAttempts}: {reason}" : $"attempt {row.Attempt}/{row.MaxAttempts}: {reason}", ct);
        return n == 1;
    }

    public async Task<int> ReapExpiredAsync(CancellationToken ct = default) =>
        await WriteAsync(async (c, tx) =>
        {
            var now = Now;
            var expired = (await c.QueryAsync<RetryRow>(new CommandDefinition(
                $"""
                SELECT t.id, t.state, t.token, t.attempt, t.host_id, s.max_attempts, s.backoff_ms FROM trials t JOIN sweeps s ON s.name = t.sweep
                WHERE t.state IN {Active} AND t.lease_expires_ms < @now ORDER BY t.lease_expires_ms LIMIT 500{SkipLocked}
                """, new { now }, tx, cancellationToken: ct))).ToList();
            var reaped = 0;
            foreach (var row in expired)
                if (await GiveBack(c, tx, row.Id, row, $"lease expired: host {row.HostId} stopped sending heartbeats", retryable: true, now, ct))
                    reaped++;
            return reaped;
        }, ct);

    public async Task<IReadOnlyList<TrialEvent>> GetEventsAsync(string trialId, CancellationToken ct = default)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<EventRow>(new CommandDefinition(
            "SELECT trial_id, at_ms, kind, token, host_id, detail FROM trial_events WHERE trial_id = @trialId ORDER BY at_ms", new { trialId }, cancellationToken: ct));
        return rows.Select(r => new TrialEvent(r.TrialId, At(r.AtMs), r.Kind, r.Token, r.HostId, r.Detail)).ToList();
    }

    sealed class EventRow
    {
        public string TrialId { get; set; } = "";
        public long AtMs { get; set; }
        public string Kind { get; set; } = "";
        public long Token { get; set; }
        public string? HostId { get; set; }
        public string? Detail { get; set; }
    }

    static Task Event(DbConnection c, DbTransaction tx, string trialId, long now, string kind, long token, string? hostId, string? detail, CancellationToken ct) =>
        c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO trial_events (trial_id, at_ms, kind, token, host_id, detail) VALUES (@trialId, @now, @kind, @token, @hostId, @detail)",
            new { trialId, now, kind, token, hostId, detail }, tx, cancellationToken: ct));

    sealed class StateRow
    {
        public string State { get; set; } = "";
        public long Token { get; set; }
        public string? HostId { get; set; }
    }

    /// <summary>
    /// One fenced transition: the UPDATE must match (id, token, live state). When it matches nothing the reason is
    /// looked up: unknown trial, cancelled, a repeat of a final report already accepted, or a stale token.
    /// </summary>
    async Task<ReportStatus> Transition(string trialId, long token, string kind, string? detail, string sql, object args, CancellationToken ct,
        bool logEvent = true, TrialState? idempotentState = null, Func<DbConnection, DbTransaction, Task>? after = null) =>
        await WriteAsync(async (c, tx) =>
        {
            var now = Now;
            var p = new DynamicParameters(args);
            p.AddDynamicParams(new { trialId, token, now });
            var n = await c.ExecuteAsync(new CommandDefinition(sql, p, tx, cancellationToken: ct));
            if (n == 1)
            {
                if (after is not null) await after(c, tx);
                if (logEvent)
                {
                    var host = await c.QueryFirstOrDefaultAsync<string?>(new CommandDefinition("SELECT host_id FROM trials WHERE id = @trialId", new { trialId }, tx, cancellationToken: ct));
                    await Event(c, tx, trialId, now, kind, token, host, detail, ct);
                }
                return ReportStatus.Accepted;
            }
            var row = await c.QueryFirstOrDefaultAsync<StateRow>(new CommandDefinition(
                "SELECT state, token, host_id FROM trials WHERE id = @trialId", new { trialId }, tx, cancellationToken: ct));
            if (row is null) return ReportStatus.NotFound;
            if (row.Token != token) return ReportStatus.Stale;
            if (row.State == "cancelled") return ReportStatus.Cancelled;
            if (idempotentState is { } s && row.State == s.ToDb()) return ReportStatus.Accepted;
            return ReportStatus.Stale;
        }, ct);

    public abstract ValueTask DisposeAsync();
}

/// <summary>A trainer host asked for work without registering (or the database was reset): register again.</summary>
public sealed class UnknownHostException(string hostId) : Exception($"host '{hostId}' is not registered")
{
    public string HostId { get; } = hostId;
}
