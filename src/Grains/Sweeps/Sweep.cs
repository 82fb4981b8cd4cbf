using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Sweeps;

/// <summary>A submitted sweep and how far its trials have got.</summary>
public sealed record Sweep
{
    public required string Name { get; init; }
    public int Priority { get; init; }
    public int MaxAttempts { get; init; }
    public double BackoffSeconds { get; init; }
    public bool Cancelled { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string SpecYaml { get; init; } = "";
    public Dictionary<TrialState, int> Counts { get; init; } = [];

    public int Total => Counts.Values.Sum();
    public int Finished => Counts.Where(c => c.Key.IsFinal()).Sum(c => c.Value);

    /// <summary>active while any trial is not final; then done (or cancelled).</summary>
    public string Status => Cancelled ? "cancelled" : Finished == Total ? "done" : "active";
}

/// <summary>What submitting a sweep did.</summary>
public enum SubmitOutcome
{
    Created,
    /// <summary>The same sweep (same name, same spec) was already there: nothing changed, nothing duplicated.</summary>
    AlreadyExists,
    /// <summary>A different sweep already has this name.</summary>
    NameConflict,
}
