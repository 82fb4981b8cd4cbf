using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Sweeps;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Api;

/// <summary>The API's JSON views of what the store holds.</summary>
public static class Views
{
    public static SweepView ToView(this Sweep s, bool withSpec = false) =>
        new(s.Name, s.Status, s.Priority, s.CreatedAt, s.Total, s.Finished,
            s.Counts.OrderBy(c => c.Key).ToDictionary(c => c.Key.ToDb(), c => c.Value), withSpec ? s.SpecYaml : null);

    public static TrialView ToView(this Trial t) =>
        new(t.Id, t.Sweep, t.Spec.Model, t.Spec.Scale, t.Spec.Knobs, t.Spec.Seed, t.State.ToDb(), t.Attempt, t.FencingToken, t.HostId,
            t.LeaseExpiresAt, t.StartEpoch, t.EpochsDone, t.Spec.Train.Epochs, t.Error, t.Metrics, t.Artifacts, t.CreatedAt, t.FinishedAt);
}
