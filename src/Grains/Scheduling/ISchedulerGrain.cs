using Orleans.Concurrency;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Grains.Scheduling;

/// <summary>
/// Matches pending trials to free devices across every sweep (one grain per cluster, key 0): highest priority first,
/// among equal priorities the sweep with the fewest trials in flight (fair share), then the oldest sweep; a trial
/// fits when it needs no more devices than are free. It only proposes: the trial grain decides (single writer), so a
/// stale or doubled proposal can never lease a trial twice. Its queues live in memory, rebuilt from the database on
/// activation and caught up from it every few seconds, so a lost notification delays a trial, never loses it.
/// </summary>
public interface ISchedulerGrain : IGrainWithIntegerKey
{
    /// <summary>Up to <paramref name="max"/> pending trials that fit <paramref name="freeDevices"/>, in scheduling order.</summary>
    Task<IReadOnlyList<Candidate>> Propose(string hostId, int freeDevices, int max);

    /// <summary>A trial moved (from its grain, one-way).</summary>
    [OneWay] Task TrialChanged(TrialSlot slot);

    /// <summary>A sweep was created or cancelled: reload it from the database (one-way).</summary>
    [OneWay] Task SweepChanged(string sweep);

    /// <summary>What the scheduler holds now (tests, the dashboard).</summary>
    Task<SchedulerStats> Stats();
}

/// <summary>A trial the scheduler offers to a host.</summary>
[GenerateSerializer]
public sealed record Candidate([property: Id(0)] string TrialId, [property: Id(1)] int Gpus);

/// <summary>Where a trial stands, as the scheduler needs it.</summary>
[GenerateSerializer]
public sealed record TrialSlot(
    [property: Id(0)] string TrialId,
    [property: Id(1)] string Sweep,
    [property: Id(2)] int Ordinal,
    [property: Id(3)] int Gpus,
    [property: Id(4)] TrialState State,
    [property: Id(5)] DateTimeOffset NotBefore);

[GenerateSerializer]
public sealed record SchedulerStats(
    [property: Id(0)] int Sweeps,
    [property: Id(1)] int Pending,
    [property: Id(2)] int InFlight,
    [property: Id(3)] DateTimeOffset LoadedAt,
    [property: Id(4)] DateTimeOffset SyncedAt);
