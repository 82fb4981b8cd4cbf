using YoloSweep.Contracts.Trials;

namespace YoloSweep.Grains.Scheduling;

/// <summary>
/// The scheduler's in-memory picture: per sweep its priority and the pending trials in sweep order; per trial whether
/// it waits, was offered to a host, or is in flight. Plain data and a pure matching function, so the scheduling rules
/// are tested without a cluster.
/// </summary>
public sealed class SchedulerQueues
{
    public sealed record SweepInfo(string Name, int Priority, DateTimeOffset CreatedAt, bool Cancelled);

    sealed class SweepQueue(SweepInfo info)
    {
        public SweepInfo Info = info;
        /// <summary>Pending trials whose backoff is over, by ordinal.</summary>
        public readonly SortedSet<(int Ordinal, string Id)> Ready = [];
        /// <summary>Pending trials in backoff.</summary>
        public readonly Dictionary<string, (int Ordinal, DateTimeOffset NotBefore)> Waiting = [];
        public int InFlight;
    }

    enum Phase { Pending, Offered, InFlight }

    sealed record Entry(string Sweep, int Ordinal, int Gpus, Phase Phase, DateTimeOffset NotBefore, DateTimeOffset OfferedAt);

    readonly Dictionary<string, SweepQueue> _sweeps = new(StringComparer.Ordinal);
    readonly Dictionary<string, Entry> _trials = new(StringComparer.Ordinal);

    public int Sweeps => _sweeps.Count;
    public int Pending => _sweeps.Values.Sum(s => s.Ready.Count + s.Waiting.Count);
    public int InFlight => _sweeps.Values.Sum(s => s.InFlight);

    public bool Knows(string sweep) => _sweeps.ContainsKey(sweep);

    public void Clear()
    {
        _sweeps.Clear();
        _trials.Clear();
    }

    /// <summary>Adds or updates a sweep; a cancelled one leaves the queues with its trials.</summary>
    public void SetSweep(SweepInfo info)
    {
        if (info.Cancelled)
        {
            RemoveSweep(info.Name);
            return;
        }
        if (_sweeps.TryGetValue(info.Name, out var q)) q.Info = info;
        else _sweeps[info.Name] = new SweepQueue(info);
    }

    public void RemoveSweep(string name)
    {
        if (!_sweeps.Remove(name)) return;
        foreach (var id in _trials.Where(t => t.Value.Sweep == name).Select(t => t.Key).ToList()) _trials.Remove(id);
    }

    /// <summary>Applies a trial's state; trials of unknown (or cancelled) sweeps are ignored.</summary>
    public void Apply(TrialSlot slot)
    {
        Forget(slot.TrialId);
        if (!_sweeps.TryGetValue(slot.Sweep, out var q)) return;
        switch (slot.State)
        {
            case TrialState.Pending:
                _trials[slot.TrialId] = new Entry(slot.Sweep, slot.Ordinal, slot.Gpus, Phase.Pending, slot.NotBefore, default);
                q.Waiting[slot.TrialId] = (slot.Ordinal, slot.NotBefore);
                break;
            case TrialState.Leased or TrialState.Running:
                _trials[slot.TrialId] = new Entry(slot.Sweep, slot.Ordinal, slot.Gpus, Phase.InFlight, slot.NotBefore, default);
                q.InFlight++;
                break;
        }
    }

    void Forget(string id)
    {
        if (!_trials.Remove(id, out var e) || !_sweeps.TryGetValue(e.Sweep, out var q)) return;
        if (e.Phase == Phase.Pending)
        {
            q.Ready.Remove((e.Ordinal, id));
            q.Waiting.Remove(id);
        }
        else q.InFlight--;
    }

    /// <summary>Offers whose trial never reported back (the asking host's silo died): they go back to the database's word.</summary>
    public IReadOnlyList<string> StaleOffers(DateTimeOffset olderThan) =>
        _trials.Where(t => t.Value.Phase == Phase.Offered && t.Value.OfferedAt < olderThan).Select(t => t.Key).ToList();

    /// <summary>
    /// Chooses up to <paramref name="max"/> trials for a host with <paramref name="free"/> devices and marks them offered
    /// (counted in flight, so a concurrent request gets others).
    /// </summary>
    public IReadOnlyList<Candidate> Propose(int free, int max, DateTimeOffset now)
    {
        var chosen = new List<Candidate>();
        if (free <= 0 || max <= 0) return chosen;
        foreach (var q in _sweeps.Values) Promote(q, now);
        var open = _sweeps.Values.Where(q => q.Ready.Count > 0).ToList();
        while (chosen.Count < max && free > 0 && open.Count > 0)
        {
            // Highest priority first; among equals the sweep with the fewest trials in flight (fair share).
            var q = open.OrderByDescending(s => s.Info.Priority).ThenBy(s => s.InFlight).ThenBy(s => s.Info.CreatedAt)
                .ThenBy(s => s.Info.Name, StringComparer.Ordinal).First();
            var (ordinal, id) = q.Ready.Min;
            var e = _trials[id];
            if (e.Gpus > free)
            {
                open.Remove(q); // a sweep's trials all need the same number of devices
                continue;
            }
            q.Ready.Remove((ordinal, id));
            _trials[id] = e with { Phase = Phase.Offered, OfferedAt = now };
            q.InFlight++;
            free -= e.Gpus;
            chosen.Add(new Candidate(id, e.Gpus));
            if (q.Ready.Count == 0) open.Remove(q);
        }
        return chosen;
    }

    static void Promote(SweepQueue q, DateTimeOffset now)
    {
        if (q.Waiting.Count == 0) return;
        foreach (var (id, (ordinal, notBefore)) in q.Waiting.Where(w => w.Value.NotBefore <= now).ToList())
        {
            q.Waiting.Remove(id);
            q.Ready.Add((ordinal, id));
        }
    }
}
