using Dapper;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Hosts;
using YoloSweep.Grains.Storage;

namespace YoloSweep.Grains.Queries;

/// <summary>
/// What the API, the CLI and the web page read: plain SQL over the rows the grains write (sweeps with their counts,
/// trials, epochs, events, hosts, per-seed results). Reads never go through a grain, so a long
/// leaderboard query never stands in a grain's queue, and a finished run's database can be read without a silo.
/// </summary>
public sealed class ReadModel(Database db)
{
    static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
    static DateTimeOffset? At(long? ms) => ms is { } v ? At(v) : null;

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
        await using var c = await db.OpenAsync(ct);
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
        await using var c = await db.OpenAsync(ct);
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
        await using var c = await db.OpenAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<TrialRow>(new CommandDefinition($"SELECT {TrialColumns} FROM trials WHERE id = @id", new { id }, cancellationToken: ct));
        return row?.ToTrial();
    }

    public async Task<IReadOnlyList<EpochReport>> GetEpochsAsync(string trialId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
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
        public double? MLatencyIqrMs { get; set; }
        public long? MLatencyRuns { get; set; }
        public long? MLatencyThreads { get; set; }
        public long? MLatencyImgsz { get; set; }
        public string? MLatencyDevice { get; set; }
    }

    public async Task<IReadOnlyList<TrialResult>> ListResultsAsync(string? sweep, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var sql = """
            SELECT id, sweep, model, scale, knobs, seed, m_map50, m_map50_95 AS m_map5095, m_precision, m_recall, m_fitness, m_params,
                   m_gflops, m_latency_ms, m_epochs, m_train_seconds, m_images_per_second,
                   m_latency_iqr_ms, m_latency_runs, m_latency_threads, m_latency_imgsz, m_latency_device
            FROM trials WHERE state = 'succeeded'
            """ + (sweep is null ? "" : " AND sweep = @sweep");
        var rows = await c.QueryAsync<ResultRow>(new CommandDefinition(sql, new { sweep }, cancellationToken: ct));
        return rows.Select(r => new TrialResult(r.Id, r.Sweep, r.Model, r.Scale, r.Knobs, (int)r.Seed, new TrialMetrics
        {
            Map50 = r.MMap50 ?? 0, Map50_95 = r.MMap5095 ?? 0, Precision = r.MPrecision ?? 0, Recall = r.MRecall ?? 0,
            Fitness = r.MFitness ?? 0, Params = r.MParams ?? 0, Gflops = r.MGflops ?? 0, LatencyMs = r.MLatencyMs ?? 0,
            Epochs = (int)(r.MEpochs ?? 0), TrainSeconds = r.MTrainSeconds ?? 0, ImagesPerSecond = r.MImagesPerSecond ?? 0,
            LatencyIqrMs = r.MLatencyIqrMs, LatencyRuns = (int?)r.MLatencyRuns, LatencyThreads = (int?)r.MLatencyThreads,
            LatencyImgsz = (int?)r.MLatencyImgsz, LatencyDevice = r.MLatencyDevice,
        })).ToList();
    }

    sealed class FailedRow
    {
        public string Id { get; set; } = "";
        public string Sweep { get; set; } = "";
        public string Model { get; set; } = "";
        public string Scale { get; set; } = "";
        public string Knobs { get; set; } = "";
        public long Seed { get; set; }
    }

    public async Task<IReadOnlyList<FailedTrial>> ListFailedAsync(string? sweep, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var sql = "SELECT id, sweep, model, scale, knobs, seed FROM trials WHERE state = 'failed'" + (sweep is null ? "" : " AND sweep = @sweep");
        var rows = await c.QueryAsync<FailedRow>(new CommandDefinition(sql, new { sweep }, cancellationToken: ct));
        return rows.Select(r => new FailedTrial(r.Id, r.Sweep, r.Model, r.Scale, r.Knobs, (int)r.Seed)).ToList();
    }

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
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<HostRow>(new CommandDefinition("SELECT id, name, devices_json, registered_ms, last_seen_ms FROM hosts ORDER BY id", cancellationToken: ct));
        return rows.Select(r => new HostInfo(r.Id, r.Name, Json.Deserialize<List<DeviceInfo>>(r.DevicesJson) ?? [], At(r.RegisteredMs), At(r.LastSeenMs))).ToList();
    }

    public async Task<IReadOnlyList<TrialEvent>> GetEventsAsync(string trialId, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
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

    sealed class SweepEpochRow
    {
        public string TrialId { get; set; } = "";
        public string Model { get; set; } = "";
        public string Scale { get; set; } = "";
        public string Knobs { get; set; } = "";
        public long Seed { get; set; }
        public string State { get; set; } = "";
        public string EpochJson { get; set; } = "";
    }

    /// <summary>
    /// Every reported epoch of a sweep's trials that are not failed or cancelled, with the trial's configuration, in
    /// one query (the dashboard's per-configuration curves).
    /// </summary>
    public async Task<IReadOnlyList<SweepEpoch>> ListSweepEpochsAsync(string sweep, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<SweepEpochRow>(new CommandDefinition("""
            SELECT e.trial_id, t.model, t.scale, t.knobs, t.seed, t.state, e.json AS epoch_json
            FROM epochs e JOIN trials t ON t.id = e.trial_id
            WHERE t.sweep = @sweep AND t.state NOT IN ('failed', 'cancelled')
            ORDER BY t.ordinal, e.epoch
            """, new { sweep }, cancellationToken: ct));
        return rows.Select(r => new SweepEpoch(r.TrialId, r.Model, r.Scale, r.Knobs, (int)r.Seed, TrialStates.FromDb(r.State),
            Json.Deserialize<EpochReport>(r.EpochJson)!)).ToList();
    }
}
