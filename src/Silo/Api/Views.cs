using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Queries;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Silo.Api;

/// <summary>The API's JSON views of what the read model and the grains return.</summary>
public static class Views
{
    public static SweepView ToView(this Sweep s, bool withSpec = false) =>
        new(s.Name, s.Status, s.Priority, s.CreatedAt, s.Total, s.Finished,
            s.Counts.OrderBy(c => c.Key).ToDictionary(c => c.Key.ToDb(), c => c.Value), withSpec ? s.SpecYaml : null);

    public static TrialView ToView(this Trial t) =>
        new(t.Id, t.Sweep, t.Spec.Model, t.Spec.Scale, t.Spec.Knobs, t.Spec.Seed, t.State.ToDb(), t.Attempt, t.FencingToken, t.HostId,
            t.LeaseExpiresAt, t.StartEpoch, t.EpochsDone, t.Spec.Train.Epochs, t.Error, t.Metrics, t.Artifacts, t.CreatedAt, t.FinishedAt);

    public static LeaseView ToView(this LeaseGrant l, TimeSpan lease) =>
        new(l.TrialId, l.FencingToken, l.Attempt, l.Resume, lease.TotalSeconds, l.ExpiresAt, l.Spec);

    public static HostView ToView(this HostInfo h) =>
        new(h.Id, h.Name, h.Devices.Select(d => new DeviceView(d.Name, d.MemoryMb)).ToList(), h.RegisteredAt, h.LastSeenAt);
}
