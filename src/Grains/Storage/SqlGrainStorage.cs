using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using Orleans.Storage;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Hosts;
using YoloSweep.Grains.Sweeps;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Storage;

/// <summary>
/// Grain state in the project's own tables, so the leaderboard stays an SQL query over results and nothing a grain
/// acknowledged is lost when its silo dies. The ETag is the row's version: a first write INSERTs (ETag null), later
/// writes are <c>UPDATE … WHERE version = ETag</c>, and a write that matches no row — another activation of the same
/// grain wrote first — throws <see cref="InconsistentStateException"/>. A database that does not answer becomes
/// <see cref="StorageUnavailableException"/> (the API answers 503).
/// </summary>
public sealed class SqlGrainStorage(Database db) : IGrainStorage
{
    public const string Name = "yolosweep";

    static long Ms(DateTimeOffset t) => t.ToUnixTimeMilliseconds();
    static long? Ms(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();
    static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    static DateTimeOffset? At(long? ms) => ms is { } v ? At(v) : null;
    static string Key(GrainId id) => id.Key.ToString()!;

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> state) =>
        Guard(async () =>
        {
            object? value = typeof(T) == typeof(TrialRecord) ? await ReadTrial(Key(grainId))
                : typeof(T) == typeof(SweepRecord) ? await ReadSweep(Key(grainId))
                : typeof(T) == typeof(HostRecord) ? await ReadHost(Key(grainId))
                : throw new NotSupportedException($"no table for grain state {typeof(T).Name}");
            if (value is (object record, long version))
            {
                state.State = (T)record;
                state.ETag = version.ToString(CultureInfo.InvariantCulture);
                state.RecordExists = true;
            }
            else
            {
                state.ETag = null;
                state.RecordExists = false;
            }
        });

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> state) =>
        Guard(async () =>
        {
            long? etag = state.ETag is null ? null : long.Parse(state.ETag, CultureInfo.InvariantCulture);
            var version = state.State switch
            {
                TrialRecord t => await WriteTrial(t, etag),
                SweepRecord s => await WriteSweep(s, etag),
                HostRecord h => await WriteHost(h, etag),
                _ => throw new NotSupportedException($"no table for grain state {typeof(T).Name}"),
            };
            if (version is null)
                throw new InconsistentStateException($"{typeof(T).Name} {Key(grainId)} was written by another activation", "(newer)", state.ETag ?? "(none)");
            state.ETag = version.Value.ToString(CultureInfo.InvariantCulture);
            state.RecordExists = true;
        });

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> state) =>
        throw new NotSupportedException("sweeps, trials and hosts are never deleted: their rows are the history of the sweep");

    static async Task Guard(Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (Exception e) when (e is not (InconsistentStateException or NotSupportedException) && Database.IsUnavailable(e))
        {
            throw new StorageUnavailableException($"database unavailable: {e.Message}");
        }
    }

    static bool IsUniqueViolation(Exception e) =>
        e is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } or SqliteException { SqliteErrorCode: 19 };

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
        public long Version { get; set; }
        public long MaxAttempts { get; set; }
        public long BackoffMs { get; set; }
        public long Cancelled { get; set; }
    }

    async Task<(object, long)?> ReadTrial(string id)
    {
        await using var c = await db.OpenAsync();
        var r = await c.QueryFirstOrDefaultAsync<TrialRow>(
            """
            SELECT t.id, t.sweep, t.ordinal, t.spec_json, t.state, t.attempt, t.token, t.host_id, t.lease_expires_ms, t.not_before_ms,
                   t.start_epoch, t.epochs_done, t.error, t.metrics_json, t.artifacts, t.created_ms, t.updated_ms, t.finished_ms, t.version,
                   s.max_attempts, s.backoff_ms, s.cancelled
            FROM trials t JOIN sweeps s ON s.name = t.sweep WHERE t.id = @id
            """, new { id });
        if (r is null) return null;
        var record = new TrialRecord
        {
            Id = r.Id, Sweep = r.Sweep, Ordinal = (int)r.Ordinal, Spec = Json.Deserialize<TrialSpec>(r.SpecJson)!,
            State = TrialStates.FromDb(r.State), Attempt = (int)r.Attempt, Token = r.Token, HostId = r.HostId,
            LeaseExpiresAt = At(r.LeaseExpiresMs), NotBefore = At(r.NotBeforeMs), StartEpoch = (int?)r.StartEpoch,
            EpochsDone = (int)r.EpochsDone, Error = r.Error,
            Metrics = r.MetricsJson is null ? null : Json.Deserialize<TrialMetrics>(r.MetricsJson), Artifacts = r.Artifacts,
            CreatedAt = At(r.CreatedMs), UpdatedAt = At(r.UpdatedMs), FinishedAt = At(r.FinishedMs),
            MaxAttempts = (int)r.MaxAttempts, Backoff = TimeSpan.FromMilliseconds(r.BackoffMs), SweepCancelled = r.Cancelled != 0,
        };
        return (record, r.Version);
    }

    async Task<long?> WriteTrial(TrialRecord t, long? etag)
    {
        if (etag is null) throw new InvalidOperationException($"trial {t.Id}: trials are created by their sweep, never by the trial grain");
        var m = t.Metrics;
        return await db.WriteAsync(async (c, tx) =>
        {
            var version = await c.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                """
                UPDATE trials SET state = @state, attempt = @Attempt, token = @Token, host_id = @HostId, lease_expires_ms = @lease,
                  not_before_ms = @notBefore, start_epoch = @StartEpoch, epochs_done = @EpochsDone, error = @Error,
                  metrics_json = @metricsJson, artifacts = @Artifacts, updated_ms = @updated, finished_ms = @finished,
                  m_map50 = @map50, m_map50_95 = @map5095, m_precision = @precision, m_recall = @recall, m_fitness = @fitness,
                  m_params = @params, m_gflops = @gflops, m_latency_ms = @latency, m_epochs = @epochs,
                  m_train_seconds = @trainSeconds, m_images_per_second = @ips, m_latency_iqr_ms = @latencyIqr, m_latency_runs = @latencyRuns,
                  m_latency_threads = @latencyThreads, m_latency_imgsz = @latencyImgsz, m_latency_device = @latencyDevice, version = version + 1
                WHERE id = @Id AND version = @etag
                RETURNING version
                """,
                new
                {
                    state = t.State.ToDb(), t.Attempt, t.Token, t.HostId, lease = Ms(t.LeaseExpiresAt), notBefore = Ms(t.NotBefore),
                    t.StartEpoch, t.EpochsDone, t.Error, metricsJson = m is null ? null : Json.Serialize(m), t.Artifacts,
                    updated = Ms(t.UpdatedAt), finished = Ms(t.FinishedAt),
                    map50 = m?.Map50, map5095 = m?.Map50_95, precision = m?.Precision, recall = m?.Recall, fitness = m?.Fitness,
                    @params = m?.Params, gflops = m?.Gflops, latency = m?.LatencyMs, epochs = m?.Epochs, trainSeconds = m?.TrainSeconds,
                    ips = m?.ImagesPerSecond, latencyIqr = m?.LatencyIqrMs is { } iqr && double.IsFinite(iqr) ? iqr : (double?)null,
                    latencyRuns = m?.LatencyRuns, latencyThreads = m?.LatencyThreads, latencyImgsz = m?.LatencyImgsz, latencyDevice = m?.LatencyDevice,
                    t.Id, etag,
                }, tx));
            if (version is null) return null;
            foreach (var e in t.NewEpochs)
                await c.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO epochs (trial_id, epoch, token, json) VALUES (@Id, @Epoch, @Token, @json)
                    ON CONFLICT (trial_id, epoch) DO UPDATE SET token = excluded.token, json = excluded.json
                    """, new { t.Id, e.Epoch, t.Token, json = Json.Serialize(e) }, tx));
            foreach (var e in t.NewEvents)
                await c.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO trial_events (trial_id, at_ms, kind, token, host_id, detail) VALUES (@Id, @at, @Kind, @Token, @HostId, @Detail)",
                    new { t.Id, at = Ms(e.At), e.Kind, e.Token, e.HostId, e.Detail }, tx));
            return version;
        });
    }

    // ---------------- sweeps ----------------

    sealed class SweepRow
    {
        public string Name { get; set; } = "";
        public string SpecYaml { get; set; } = "";
        public string SpecHash { get; set; } = "";
        public long Priority { get; set; }
        public long MaxAttempts { get; set; }
        public long BackoffMs { get; set; }
        public long Cancelled { get; set; }
        public long CreatedMs { get; set; }
        public long Version { get; set; }
        public long Total { get; set; }
    }

    async Task<(object, long)?> ReadSweep(string name)
    {
        await using var c = await db.OpenAsync();
        var r = await c.QueryFirstOrDefaultAsync<SweepRow>(
            """
            SELECT name, spec_yaml, spec_hash, priority, max_attempts, backoff_ms, cancelled, created_ms, version,
                   (SELECT COUNT(*) FROM trials t WHERE t.sweep = s.name) AS total
            FROM sweeps s WHERE name = @name
            """, new { name });
        if (r is null) return null;
        return (new SweepRecord
        {
            Name = r.Name, SpecYaml = r.SpecYaml, SpecHash = r.SpecHash, Priority = (int)r.Priority, MaxAttempts = (int)r.MaxAttempts,
            Backoff = TimeSpan.FromMilliseconds(r.BackoffMs), Cancelled = r.Cancelled != 0, CreatedAt = At(r.CreatedMs), Total = (int)r.Total,
        }, r.Version);
    }

    static readonly string[] TrialColumns =
        ["id", "sweep", "ordinal", "model", "scale", "knobs", "seed", "gpus", "spec_json", "state", "not_before_ms", "created_ms", "updated_ms", "version"];

    /// <summary>
    /// A sweep's trials in bulk (200,000 of them must not take minutes): PostgreSQL's binary COPY; on SQLite one
    /// prepared INSERT executed per row inside the transaction.
    /// </summary>
    static async Task InsertTrialsAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string sweep, IReadOnlyList<TrialSpec> trials, long now)
    {
        if (c is NpgsqlConnection pg)
        {
            await using var copy = await pg.BeginBinaryImportAsync($"COPY trials ({string.Join(", ", TrialColumns)}) FROM STDIN (FORMAT BINARY)");
            for (var i = 0; i < trials.Count; i++)
            {
                var t = trials[i];
                await copy.StartRowAsync();
                await copy.WriteAsync(t.Id); await copy.WriteAsync(sweep); await copy.WriteAsync(i); await copy.WriteAsync(t.Model);
                await copy.WriteAsync(t.Scale); await copy.WriteAsync(t.KnobsText); await copy.WriteAsync(t.Seed); await copy.WriteAsync(t.Gpus);
                await copy.WriteAsync(Json.Serialize(t)); await copy.WriteAsync("pending"); await copy.WriteAsync(now); await copy.WriteAsync(now);
                await copy.WriteAsync(now); await copy.WriteAsync(1L);
            }
            await copy.CompleteAsync();
            return;
        }
        await using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"INSERT INTO trials ({string.Join(", ", TrialColumns)}) VALUES ({string.Join(", ", TrialColumns.Select(n => "@" + n))})";
        var p = TrialColumns.ToDictionary(n => n, n => { var x = cmd.CreateParameter(); x.ParameterName = "@" + n; cmd.Parameters.Add(x); return x; });
        (p["sweep"].Value, p["state"].Value, p["not_before_ms"].Value, p["created_ms"].Value, p["updated_ms"].Value, p["version"].Value) = (sweep, "pending", now, now, now, 1L);
        await cmd.PrepareAsync();
        for (var i = 0; i < trials.Count; i++)
        {
            var t = trials[i];
            (p["id"].Value, p["ordinal"].Value, p["model"].Value, p["scale"].Value) = (t.Id, i, t.Model, t.Scale);
            (p["knobs"].Value, p["seed"].Value, p["gpus"].Value, p["spec_json"].Value) = (t.KnobsText, t.Seed, t.Gpus, Json.Serialize(t));
            await cmd.ExecuteNonQueryAsync();
        }
    }

    async Task<long?> WriteSweep(SweepRecord s, long? etag)
    {
        if (etag is { } expected)
            return await db.WriteAsync((c, tx) => c.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                "UPDATE sweeps SET cancelled = @cancelled, priority = @Priority, version = version + 1 WHERE name = @Name AND version = @expected RETURNING version",
                new { cancelled = s.Cancelled ? 1 : 0, s.Priority, s.Name, expected }, tx)));
        try
        {
            return await db.WriteAsync(async (c, tx) =>
            {
                var created = Ms(s.CreatedAt);
                await c.ExecuteAsync(new CommandDefinition(
                    """
                    INSERT INTO sweeps (name, spec_yaml, spec_hash, priority, max_attempts, backoff_ms, cancelled, created_ms, version)
                    VALUES (@Name, @SpecYaml, @SpecHash, @Priority, @MaxAttempts, @backoff, @cancelled, @created, 1)
                    """,
                    new { s.Name, s.SpecYaml, s.SpecHash, s.Priority, s.MaxAttempts, backoff = (long)s.Backoff.TotalMilliseconds, cancelled = s.Cancelled ? 1 : 0, created }, tx));
                await InsertTrialsAsync(c, tx, s.Name, s.NewTrials, created);
                return (long?)1;
            });
        }
        catch (DbException e) when (IsUniqueViolation(e))
        {
            return null; // the sweep (or one of its trials, in another sweep) exists: the grain reads it back
        }
    }

    // ---------------- hosts ----------------

    sealed class HostRow
    {
        public string Id { get; set; } = "";
        public string Name { get; set; } = "";
        public string DevicesJson { get; set; } = "[]";
        public long RegisteredMs { get; set; }
        public long LastSeenMs { get; set; }
        public long Version { get; set; }
    }

    async Task<(object, long)?> ReadHost(string id)
    {
        await using var c = await db.OpenAsync();
        var r = await c.QueryFirstOrDefaultAsync<HostRow>(
            "SELECT id, name, devices_json, registered_ms, last_seen_ms, version FROM hosts WHERE id = @id", new { id });
        if (r is null) return null;
        return (new HostRecord
        {
            Id = r.Id, Name = r.Name, Devices = Json.Deserialize<List<DeviceInfo>>(r.DevicesJson) ?? [],
            RegisteredAt = At(r.RegisteredMs), LastSeenAt = At(r.LastSeenMs),
        }, r.Version);
    }

    async Task<long?> WriteHost(HostRecord h, long? etag)
    {
        var args = new { h.Id, h.Name, devices = Json.Serialize(h.Devices), count = h.Devices.Count, registered = Ms(h.RegisteredAt), seen = Ms(h.LastSeenAt), etag };
        return await db.WriteAsync((c, tx) => c.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(etag is null
            ? """
              INSERT INTO hosts (id, name, devices_json, device_count, registered_ms, last_seen_ms, version)
              VALUES (@Id, @Name, @devices, @count, @registered, @seen, 1) ON CONFLICT (id) DO NOTHING RETURNING version
              """
            : """
              UPDATE hosts SET name = @Name, devices_json = @devices, device_count = @count, registered_ms = @registered,
                last_seen_ms = @seen, version = version + 1
              WHERE id = @Id AND version = @etag RETURNING version
              """, args, tx)));
    }
}
