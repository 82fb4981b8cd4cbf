using YoloSweep.Grains.Stores;

namespace YoloSweep.Silo;

/// <summary>
/// Returns trials whose lease ran out (the host died or lost the network) to pending. Every replica may run one:
/// the store's conditional updates make double reaping harmless.
/// </summary>
public sealed class LeaseReaper(ISweepStore store, SiloOptions options, ILogger<LeaseReaper> log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        try
        {
            // Give hosts one lease period to renew leases that expired while this Silo was down.
            await Task.Delay(options.ReaperGrace ?? options.LeaseDuration, stop);
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var n = await store.ReapExpiredAsync(stop);
                    if (n > 0) log.LogWarning("Reaped {Count} expired lease(s): trials back to pending", n);
                }
                catch (Exception e) when (!stop.IsCancellationRequested)
                {
                    log.LogError(e, "Lease reaper pass failed; retrying");
                }
                await Task.Delay(options.ReaperInterval, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }
}
