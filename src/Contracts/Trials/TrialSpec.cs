using Orleans;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace YoloSweep.Contracts.Trials;

/// <summary>Simulated training: the trainer sleeps instead of training (tests, benchmarks, demos without libtorch).</summary>
[GenerateSerializer]
public sealed record SimulateSettings
{
    [Id(0)] public double SecondsPerEpoch { get; init; } = 0.05;
    /// <summary>The child process exits with an error at this epoch (tests of failure handling); 0 = never.</summary>
    [Id(1)] public int FailAtEpoch { get; init; }
}

/// <summary>Training settings of one trial. Unlisted hyper-parameters (lr0, …) travel as text in <see cref="Extra"/>.</summary>
[GenerateSerializer]
public sealed record TrainSettings
{
    [Id(0)] public int Epochs { get; init; } = 50;
    [Id(1)] public int Imgsz { get; init; } = 640;
    [Id(2)] public int Batch { get; init; } = 16;
    [Id(3)] public string Optimizer { get; init; } = "SGD";
    [Id(4)] public int Patience { get; init; } = 100;
    [Id(5)] public SortedDictionary<string, string> Extra { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Present → the simulated executor runs the trial; absent → real training.</summary>
    [Id(6)] public SimulateSettings? Simulate { get; init; }
}

/// <summary>The fully resolved settings of one trial: what a trainer needs to run it, nothing else.</summary>
[GenerateSerializer]
public sealed record TrialSpec
{
    [Id(0)] public required string Sweep { get; init; }
    [Id(1)] public required string Model { get; init; }
    [Id(2)] public required string Scale { get; init; }
    /// <summary>Every knob of the model, defaults filled in, sorted by name.</summary>
    [Id(3)] public SortedDictionary<string, string> Knobs { get; init; } = new(StringComparer.Ordinal);
    [Id(4)] public int Seed { get; init; }
    [Id(5)] public string? Data { get; init; }
    [Id(6)] public TrainSettings Train { get; init; } = new();
    [Id(7)] public int Gpus { get; init; } = 1;

    /// <summary>Stable identity: a hash of the resolved settings, so identical trials merge and resubmits match.</summary>
    [JsonIgnore] public string Id => ComputeId();

    /// <summary>Knobs as "k=v k=v" (sorted); empty for knob-less models.</summary>
    [JsonIgnore] public string KnobsText => FormatKnobs(Knobs);

    public static string FormatKnobs(IReadOnlyDictionary<string, string> knobs) =>
        string.Join(" ", knobs.OrderBy(k => k.Key, StringComparer.Ordinal).Select(k => $"{k.Key}={k.Value}"));

    string ComputeId()
    {
        // Json.Serialize writes properties in declaration order and sorted dictionaries: a canonical form.
        var canonical = Json.Serialize(this with { });
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        return Convert.ToHexStringLower(hash)[..16];
    }
}
