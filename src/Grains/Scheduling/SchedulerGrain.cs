using Dapper;
using Microsoft.Extensions.Logging;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Storage;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Scheduling;

/// <summary>See <see cref="ISchedulerGrain"/>. Reads the database (inside its own turn) but never awaits another grain.</summary>
public sealed class SchedulerGrain(Database db, OrchestratorClock clock, ILogger<SchedulerGrain> log) : Grain, ISchedulerGrain
{
    static readonly TimeSpan SyncEvery = TimeSpan.FromSeconds(2);
    static readonly TimeSpan RebuildEvery = TimeSpan.FromMinutes(5);
    static readonly TimeSpan OfferTimeout = TimeSpan.FromSeconds(10);
    // Rows written this long before the last catch-up are read again: silos' clocks differ a little.
    static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(2);

    readonly SchedulerQueues _queues = new();
    DateTimeOffset _loadedAt, _syncedAt;

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        await RebuildAsync(wakeLeased: true, ct);
        this.RegisterGrainTimer(CatchUpAsync, SyncEvery, SyncEvery);
    }

    public Task<IReadOnlyList<Candidate>> Propose(string hostId, int freeDevices, int max) =>
        Task.FromResult(_queues.Propose(freeDevices, max, clock.Now));

    public async Task TrialChanged(TrialSlot slot)
    {
        if (!_queues.Knows(slot.Sweep)) await LoadSweepAsync(slot.Sweep, CancellationToken.None);
        _queues.Apply(slot);
    }

    public Task SweepChanged(string sweep) => LoadSweepAsync(sweep, CancellationToken.None);

    public Task<SchedulerStats> Stats() =>
        Task.FromResult(new SchedulerStats(_queues.Sweeps, _queues.Pending, _queues.InFlight, _loadedAt, _syncedAt));

    sealed class SweepRow
    {
        public string Name { get; set; } = "";
        public long Priority { get; set; }
        public long CreatedMs { get; set; }
        public long Cancelled { get; set; }
    }

    sealed class SlotRow
    {
        public string Id { get; set; } = "";
        public string Sweep { get; set; } = "";
        public long Ordinal { get; set; }
        public long Gpus { get; set; }
        public string State { get; set; } = "";
        public long NotBeforeMs { get; set; }
    }

    static SchedulerQueues.SweepInfo Info(SweepRow r) =>
        new(r.Name, (int)r.Priority, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedMs), r.Cancelled != 0);

    static TrialSlot Slot(SlotRow r) =>
        new(r.Id, r.Sweep, (int)r.Ordinal, (int)r.Gpus, TrialStates.FromDb(r.State), DateTimeOffset.FromUnixTimeMilliseconds(r.NotBeforeMs));

    const string SlotColumns = "id, sweep, ordinal, gpus, state, not_before_ms";

    async Task RebuildAsync(bool wakeLeased, CancellationToken ct)
    {
        var started = clock.Now;
        await using var c = await db.OpenAsync(ct);
        var sweeps = await c.QueryAsync<SweepRow>(new CommandDefinition(
            "SELECT name, priority, created_ms, cancelled FROM sweeps WHERE cancelled = 0", cancellationToken: ct));
        var slots = (await c.QueryAsync<SlotRow>(new CommandDefinition(
            $"SELECT {SlotColumns} FROM trials WHERE state IN ('pending','leased','running')", cancellationToken: ct))).ToList();
        _queues.Clear();
        foreach (var s in sweeps) _queues.SetSweep(Info(s));
        foreach (var s in slots) _queues.Apply(Slot(s));
        _loadedAt = _syncedAt = started;
        log.LogInformation("Scheduler loaded {Sweeps} sweep(s), {Pending} pending and {InFlight} leased trial(s)", _queues.Sweeps, _queues.Pending, _queues.InFlight);
        // Leased trials whose silo went away have no active grain, hence no lease timer: wake them.
        if (wakeLeased)
            foreach (var s in slots.Where(s => s.State != "pending"))
                GrainFactory.GetGrain<ITrialGrain>(s.Id).Wake().Ignore();
    }

    /// <summary>Reads what changed since the last pass (transitions whose notification was lost) and settles stale offers.</summary>
    async Task CatchUpAsync(CancellationToken ct)
    {
        try
        {
            var started = clock.Now;
            if (started - _loadedAt > RebuildEvery)
            {
                await RebuildAsync(wakeLeased: false, ct);
                return;
            }
            await using var c = await db.OpenAsync(ct);
            var since = (_syncedAt - ClockSlack).ToUnixTimeMilliseconds();
            var changed = await c.QueryAsync<SlotRow>(new CommandDefinition(
                $"SELECT {SlotColumns} FROM trials WHERE updated_ms >= @since", new { since }, cancellationToken: ct));
            foreach (var s in changed)
            {
                if (!_queues.Knows(s.Sweep)) await LoadSweepAsync(s.Sweep, ct);
                _queues.Apply(Slot(s));
            }
            var stale = _queues.StaleOffers(started - OfferTimeout);
            if (stale.Count > 0)
                foreach (var s in await c.QueryAsync<SlotRow>(new CommandDefinition(
                    $"SELECT {SlotColumns} FROM trials WHERE id IN @stale", new { stale }, cancellationToken: ct)))
                    _queues.Apply(Slot(s));
            _syncedAt = started;
        }
        catch (Exception e) when (Database.IsUnavailable(e))
        {
            log.LogWarning("Scheduler cannot catch up with the database: {Error}", e.Message);
        }
    }

    async Task LoadSweepAsync(string name, CancellationToken ct)
    {
        await using var c = await db.OpenAsync(ct);
        var row = await c.QueryFirstOrDefaultAsync<SweepRow>(new CommandDefinition(
            "SELECT name, priority, created_ms, cancelled FROM sweeps WHERE name = @name", new { name }, cancellationToken: ct));
        if (row is null) return;
        var known = _queues.Knows(name);
        _queues.SetSweep(Info(row));
        if (row.Cancelled != 0 || known) return;
        foreach (var s in await c.QueryAsync<SlotRow>(new CommandDefinition(
            $"SELECT {SlotColumns} FROM trials WHERE sweep = @name AND state IN ('pending','leased','running')", new { name }, cancellationToken: ct)))
            _queues.Apply(Slot(s));
    }
}
