using Orleans;

namespace YoloSweep.Contracts.Trials;

/// <summary>
/// pending → leased → running → succeeded | failed | cancelled (| pruned, reserved for early stopping).
/// An expired or failed lease goes back to pending (attempt + 1) until max_attempts.
/// </summary>
[GenerateSerializer]
public enum TrialState { Pending, Leased, Running, Succeeded, Failed, Cancelled, Pruned }

public static class TrialStates
{
    public static bool IsFinal(this TrialState s) => s is TrialState.Succeeded or TrialState.Failed or TrialState.Cancelled or TrialState.Pruned;
    public static bool IsLeased(this TrialState s) => s is TrialState.Leased or TrialState.Running;
    public static string ToDb(this TrialState s) => s.ToString().ToLowerInvariant();
    public static TrialState FromDb(string s) => Enum.Parse<TrialState>(s, ignoreCase: true);
}
