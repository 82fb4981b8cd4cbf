using System.Text.Json.Serialization;

namespace YoloSweep.Contracts.Trials;

/// <summary>
/// The protocol between a trainer host and the worker process that trains one trial for it: the worker prints one JSON
/// line per event on stdout (started, epoch, finished, error) and ends with one of these exit codes. Everything else
/// the worker prints (stderr) goes to the trial's log file.
/// </summary>
public static class TrialProcessProtocol
{
    public const int ExitDone = 0, ExitFailed = 1, ExitBadSpec = 2, ExitOrphaned = 3;
    /// <summary>Written by the worker into the trial's folder: the final metrics (and whatever else the engine adds).</summary>
    public const string MetricsFile = "metrics.json";
}

/// <summary>One line of the worker's stdout: started (with its first epoch), epoch (an <see cref="EpochReport"/>),
/// finished (the metrics) or error (the message).</summary>
public sealed record TrialProcessEvent
{
    [JsonPropertyName("event")] public required string Event { get; init; }
    [JsonPropertyName("start_epoch")] public int? StartEpoch { get; init; }
    [JsonPropertyName("epoch")] public EpochReport? Epoch { get; init; }
    [JsonPropertyName("metrics")] public TrialMetrics? Metrics { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
}
