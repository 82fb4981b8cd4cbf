using Orleans;
using System.Text.Json.Serialization;

namespace YoloSweep.Contracts.Trials;

/// <summary>Final metrics of a trial (metrics.json and the API). Names are a contract with the trainer.</summary>
[GenerateSerializer]
public sealed record TrialMetrics
{
    [Id(0)] [JsonPropertyName("map50")] public double Map50 { get; init; }
    [Id(1)] [JsonPropertyName("map50_95")] public double Map50_95 { get; init; }
    [Id(2)] [JsonPropertyName("precision")] public double Precision { get; init; }
    [Id(3)] [JsonPropertyName("recall")] public double Recall { get; init; }
    [Id(4)] [JsonPropertyName("fitness")] public double Fitness { get; init; }
    [Id(5)] [JsonPropertyName("params")] public long Params { get; init; }
    [Id(6)] [JsonPropertyName("gflops")] public double Gflops { get; init; }
    [Id(7)] [JsonPropertyName("latency_ms")] public double LatencyMs { get; init; }
    [Id(8)] [JsonPropertyName("epochs")] public int Epochs { get; init; }
    [Id(9)] [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [Id(10)] [JsonPropertyName("images_per_second")] public double ImagesPerSecond { get; init; }
    // How latency_ms (the median) was measured; null in results of builds before these figures.
    /// <summary>Interquartile range (p75 − p25) of the timed runs, ms.</summary>
    [Id(11)] [JsonPropertyName("latency_iqr_ms")] public double? LatencyIqrMs { get; init; }
    /// <summary>Timed forward passes (after warm-up) the median is of.</summary>
    [Id(12)] [JsonPropertyName("latency_runs")] public int? LatencyRuns { get; init; }
    /// <summary>torch's intra-op threads during the measurement.</summary>
    [Id(13)] [JsonPropertyName("latency_threads")] public int? LatencyThreads { get; init; }
    /// <summary>Image size (square, batch 1).</summary>
    [Id(14)] [JsonPropertyName("latency_imgsz")] public int? LatencyImgsz { get; init; }
    /// <summary>The device: cpu, cuda:0.</summary>
    [Id(15)] [JsonPropertyName("latency_device")] public string? LatencyDevice { get; init; }
}

/// <summary>Metrics of one finished epoch, streamed while the trial runs.</summary>
[GenerateSerializer]
public sealed record EpochReport
{
    [Id(0)] [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [Id(1)] [JsonPropertyName("losses")] public SortedDictionary<string, double> Losses { get; init; } = new(StringComparer.Ordinal);
    [Id(2)] [JsonPropertyName("map50")] public double Map50 { get; init; }
    [Id(3)] [JsonPropertyName("map50_95")] public double Map50_95 { get; init; }
    [Id(4)] [JsonPropertyName("fitness")] public double Fitness { get; init; }
    [Id(5)] [JsonPropertyName("lr")] public double Lr { get; init; }
}
