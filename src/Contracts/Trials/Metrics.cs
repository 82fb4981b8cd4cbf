using System.Text.Json.Serialization;

namespace YoloSweep.Contracts.Trials;

/// <summary>Final metrics of a trial (metrics.json and the API). Names are a contract with the trainer.</summary>
public sealed record TrialMetrics
{
    [JsonPropertyName("map50")] public double Map50 { get; init; }
    [JsonPropertyName("map50_95")] public double Map50_95 { get; init; }
    [JsonPropertyName("precision")] public double Precision { get; init; }
    [JsonPropertyName("recall")] public double Recall { get; init; }
    [JsonPropertyName("fitness")] public double Fitness { get; init; }
    [JsonPropertyName("params")] public long Params { get; init; }
    [JsonPropertyName("gflops")] public double Gflops { get; init; }
    [JsonPropertyName("latency_ms")] public double LatencyMs { get; init; }
    [JsonPropertyName("epochs")] public int Epochs { get; init; }
    [JsonPropertyName("train_seconds")] public double TrainSeconds { get; init; }
    [JsonPropertyName("images_per_second")] public double ImagesPerSecond { get; init; }
}

/// <summary>Metrics of one finished epoch, streamed while the trial runs.</summary>
public sealed record EpochReport
{
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [JsonPropertyName("losses")] public SortedDictionary<string, double> Losses { get; init; } = new(StringComparer.Ordinal);
    [JsonPropertyName("map50")] public double Map50 { get; init; }
    [JsonPropertyName("map50_95")] public double Map50_95 { get; init; }
    [JsonPropertyName("fitness")] public double Fitness { get; init; }
    [JsonPropertyName("lr")] public double Lr { get; init; }
}
