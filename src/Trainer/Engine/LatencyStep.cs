using Serilog;
using YoloSweep.Models;
using YoloSweep.Torch;

namespace YoloSweep.Trainer.Engine;

/// <summary>
/// The latency step, after training and by itself: the host lock exclusive (no other trial trains on the host while it
/// runs; how long that took is logged), then <see cref="LatencyMeter"/> (eval, batch 1, warm-up, median and IQR of
/// the timed runs at a fixed thread count). `yolosweep model info --latency` measures the same way.
/// </summary>
public static class LatencyStep
{
    public static LatencyResult Run(DetectionModel m, int imgsz, Device device, HostLock hostLock, LatencyOptions? options, ILogger log,
        CancellationToken ct = default)
    {
        using var hold = hostLock.Exclusive(ct);
        log.Information("Latency: waited {Waited:F2} s for the host lock {Lock} (exclusive{Note})", hold.Waited.TotalSeconds, hostLock.LockPath,
            hold.Locked ? "" : ", not held: the lock file cannot be used");
        var r = LatencyMeter.Measure(m, imgsz, device, options, ct);
        log.Information("Latency {Median:F2} ms, IQR {Iqr:F2} ms (p25 {P25:F2}, p75 {P75:F2}): batch 1, {Imgsz}×{Imgsz}, {Device}, {Threads} threads, {Runs} runs after {Warmup} warm-up",
            r.MedianMs, r.IqrMs, r.P25Ms, r.P75Ms, r.Imgsz, r.Imgsz, r.Device, r.Threads, r.Runs, r.Warmup);
        return r;
    }
}

/// <summary>Training's side of the host lock: shared while it computes, let go at every epoch's end (a waiting latency
/// step gets in there) and around its own latency step. A wait longer than a second is logged.</summary>
public sealed class HostWork(HostLock hostLock, ILogger log, CancellationToken ct) : IDisposable
{
    HostLock.Hold? _hold;

    public void Begin(string what)
    {
        if (_hold is not null) return;
        _hold = hostLock.Shared(ct);
        if (_hold.Waited >= TimeSpan.FromSeconds(1))
            log.Information("Waited {Waited:F1} s for the host lock {Lock} before {What} (a latency measurement held it)", _hold.Waited.TotalSeconds, hostLock.LockPath, what);
    }

    public void End()
    {
        _hold?.Dispose();
        _hold = null;
    }

    public void Dispose() => End();
}
