using YoloSweep.Contracts.Trials;

namespace YoloSweep.Silo.Api;

/// <summary>
/// What a trainer may report: finite numbers only. A NaN stored once poisons the leaderboard's means and the Pareto
/// front for every later query (and SQLite refuses to store it at all), so it is refused at the door, with its field.
/// </summary>
public static class Reports
{
    public const int MaxLosses = 64;

    /// <summary>Null when the metrics are storable, else what is wrong.</summary>
    public static string? Check(TrialMetrics m) =>
        Field("metrics.map50", m.Map50, 0, 1) ?? Field("metrics.map50_95", m.Map50_95, 0, 1) ?? Field("metrics.precision", m.Precision, 0, 1)
        ?? Field("metrics.recall", m.Recall, 0, 1) ?? Field("metrics.fitness", m.Fitness, 0, 1) ?? Field("metrics.gflops", m.Gflops, 0, 1e9)
        ?? Field("metrics.latency_ms", m.LatencyMs, 0, 1e9) ?? Field("metrics.train_seconds", m.TrainSeconds, 0, 1e12)
        ?? Field("metrics.images_per_second", m.ImagesPerSecond, 0, 1e12)
        ?? (m.LatencyIqrMs is { } iqr ? Field("metrics.latency_iqr_ms", iqr, 0, 1e9) : null)
        ?? (m.LatencyRuns is < 0 or > 1_000_000 ? $"'metrics.latency_runs' must be in 0..1000000, got {m.LatencyRuns}" : null)
        ?? (m.LatencyThreads is < 0 or > 4096 ? $"'metrics.latency_threads' must be in 0..4096, got {m.LatencyThreads}" : null)
        ?? (m.LatencyImgsz is < 0 or > 100_000 ? $"'metrics.latency_imgsz' must be in 0..100000, got {m.LatencyImgsz}" : null)
        ?? (m.LatencyDevice is { Length: > 64 } ? "'metrics.latency_device' must be at most 64 characters" : null)
        ?? (m.Params < 0 ? $"'metrics.params' must not be negative, got {m.Params}" : null)
        ?? (m.Epochs is < 0 or > 1_000_000 ? $"'metrics.epochs' must be in 0..1000000, got {m.Epochs}" : null);

    public static string? Check(EpochReport e)
    {
        if (e.Epoch > 1_000_000) return $"'epoch.epoch' must be in 1..1000000, got {e.Epoch}";
        if (e.Losses is null) return "'epoch.losses' must be an object of name: number";
        if (e.Losses.Count > MaxLosses) return $"'epoch.losses' has {e.Losses.Count} entries, more than the limit of {MaxLosses}";
        foreach (var (name, value) in e.Losses)
        {
            if (name.Length is 0 or > 64) return "'epoch.losses' names must be 1..64 characters";
            if (Field($"epoch.losses.{name}", value, -1e15, 1e15) is { } bad) return bad;
        }
        return Field("epoch.map50", e.Map50, 0, 1) ?? Field("epoch.map50_95", e.Map50_95, 0, 1) ?? Field("epoch.fitness", e.Fitness, 0, 1)
            ?? Field("epoch.lr", e.Lr, 0, 1e6);
    }

    static string? Field(string name, double v, double min, double max) =>
        !double.IsFinite(v) ? $"'{name}' must be a finite number, got {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}"
        : v < min || v > max ? $"'{name}' must be in {min}..{max}, got {v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"
        : null;
}
