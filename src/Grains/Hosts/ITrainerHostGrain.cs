using Orleans.Concurrency;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Hosts;

/// <summary>
/// One trainer host (key: host id): its devices, its heartbeats and the leases it holds. It asks the scheduler for
/// trials that fit its free devices and leases them from their trial grains; a host that falls silent stops renewing,
/// so its trials' leases run out and they return to pending.
/// </summary>
public interface ITrainerHostGrain : IGrainWithStringKey
{
    Task Register(string name, IReadOnlyList<DeviceInfo> devices);

    /// <summary>False when the host never registered (or the database was reset): it must register again.</summary>
    Task<bool> Heartbeat();

    /// <summary>
    /// Leases up to <paramref name="max"/> trials that fit <paramref name="freeDevices"/> (also bounded by what the host
    /// registered minus what it holds). Throws <see cref="UnknownHostException"/> for a host that is not registered.
    /// </summary>
    Task<IReadOnlyList<LeaseGrant>> Acquire(int freeDevices, int max);

    /// <summary>A lease of this host ended (from the trial, one-way).</summary>
    [OneWay] Task LeaseEnded(string trialId);
}
