using YoloSweep.Contracts.Trials;

namespace YoloSweep.Contracts.Sweeps;

public enum StrategyKind { Grid, Random }

/// <summary>How configurations are chosen from the matrix: all of them, or N drawn at random (each with every seed).</summary>
public sealed record Strategy(StrategyKind Kind, int N = 0, int Seed = 0);

/// <summary>A validated sweep file.</summary>
public sealed record SweepSpec
{
    public required string Name { get; init; }
    public string? Data { get; init; }
    public TrainSettings Train { get; init; } = new();
    public required IReadOnlyList<string> Models { get; init; }
    public required IReadOnlyList<string> Scales { get; init; }
    /// <summary>Knob name → values to sweep; applied only to the models that have the knob.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Knobs { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public IReadOnlyList<int> Seeds { get; init; } = [0];
    public int Gpus { get; init; } = 1;
    public Strategy Strategy { get; init; } = new(StrategyKind.Grid);
    /// <summary>Higher runs first; equal priorities share the hosts fairly.</summary>
    public int Priority { get; init; }
    public int MaxAttempts { get; init; } = 3;
    public double BackoffSeconds { get; init; } = 10;
}

/// <summary>A sweep file that does not validate; every message reads "file:line:column: what is wrong".</summary>
public sealed class SweepSpecException(IReadOnlyList<string> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>
/// What the Silo knows at submission, for the pre-flight of every trial: the shared folder (when this process sees it)
/// to check the dataset, and the largest registered host to check resources.gpus against (null: none registered yet).
/// </summary>
public sealed record SubmitContext(string? SharedDir = null, (string Name, int Devices)? LargestHost = null);
