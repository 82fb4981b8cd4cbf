using Dapper;
using YoloSweep.Grains.Scheduling;
using YoloSweep.Grains.Storage;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Hosts;

/// <summary>
/// See <see cref="ITrainerHostGrain"/>. The leases it holds are read from the trials table on activation and kept
/// current by the trials' one-way notices (re-read now and then, in case a notice was lost). It awaits trial grains
/// while leasing; they only ever call it one-way, so no call cycle can form.
/// </summary>
public sealed class TrainerHostGrain(
    [PersistentState("host", SqlGrainStorage.Name)] IPersistentState<HostRecord> state,
    Database db, OrchestratorClock clock) : Grain, ITrainerHostGrain
{
    // The last-seen time is written only when it is this old: heartbeats of 1,000 hosts must not queue on the database.
    static readonly TimeSpan SeenEvery = TimeSpan.FromSeconds(15);
    static readonly TimeSpan RecountEvery = TimeSpan.FromSeconds(30);

    readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);
    DateTimeOffset _countedAt;

    string Id => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken ct) => state.RecordExists ? RecountAsync() : Task.CompletedTask;

    public async Task Register(string name, IReadOnlyList<DeviceInfo> devices)
    {
        var now = clock.Now;
        var before = state.RecordExists ? state.State : null;
        state.State = new HostRecord { Id = Id, Name = name, Devices = devices.ToList(), RegisteredAt = before?.RegisteredAt ?? now, LastSeenAt = now };
        try { await state.WriteStateAsync(); }
        catch { if (before is not null) state.State = before; throw; }
    }

    public async Task<bool> Heartbeat()
    {
        if (!state.RecordExists) return false;
        await TouchAsync();
        return true;
    }

    public async Task<IReadOnlyList<LeaseGrant>> Acquire(int freeDevices, int max)
    {
        if (!state.RecordExists) throw new UnknownHostException(Id);
        await TouchAsync();
        if (_held.Count > 0 && clock.Now - _countedAt > RecountEvery) await RecountAsync();
        var free = Math.Min(freeDevices, state.State.Devices.Count - _held.Values.Sum());
        if (free <= 0 || max <= 0) return [];
        var candidates = await GrainFactory.GetGrain<ISchedulerGrain>(0).Propose(Id, free, max);
        var tries = candidates.Select(c => GrainFactory.GetGrain<ITrialGrain>(c.TrialId).TryLease(Id)).ToList();
        try { await Task.WhenAll(tries); }
        catch (Exception) when (tries.Any(t => t.IsCompletedSuccessfully)) { } // hand out what was leased; the rest stays pending
        var leased = tries.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result).OfType<LeaseGrant>().ToList();
        foreach (var g in leased) _held[g.TrialId] = g.Spec.Gpus;
        return leased;
    }

    public Task LeaseEnded(string trialId)
    {
        _held.Remove(trialId);
        return Task.CompletedTask;
    }

    async Task TouchAsync()
    {
        var now = clock.Now;
        if (now - state.State.LastSeenAt < SeenEvery) return;
        var before = state.State;
        state.State = before with { LastSeenAt = now };
        try { await state.WriteStateAsync(); }
        catch { state.State = before; throw; }
    }

    async Task RecountAsync()
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<(string Id, long Gpus)>(
            "SELECT id, gpus FROM trials WHERE host_id = @host AND state IN ('leased','running')", new { host = Id });
        _held.Clear();
        foreach (var (id, gpus) in rows) _held[id] = (int)gpus;
        _countedAt = clock.Now;
    }
}
