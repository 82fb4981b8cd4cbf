namespace YoloSweep.Grains.Sweeps;

/// <summary>
/// One sweep (key: its name): the spec, priority and trial ids, created once with all its trials in one
/// transaction; submitting the same file again changes nothing, a different file under the name is refused.
/// </summary>
public interface ISweepGrain : IGrainWithStringKey
{
    Task<SubmitResult> Submit(string yaml, string file);

    /// <summary>Cancels every trial not yet final; running ones learn it at their next report. False if there is no such sweep.</summary>
    Task<bool> Cancel();
}

/// <summary>What submitting a sweep did.</summary>
[GenerateSerializer]
public enum SubmitOutcome
{
    Created,
    /// <summary>The same sweep (same name, same spec) was already there: nothing changed, nothing duplicated.</summary>
    AlreadyExists,
    /// <summary>A different sweep already has this name.</summary>
    NameConflict,
}

[GenerateSerializer]
public sealed record SubmitResult([property: Id(0)] SubmitOutcome Outcome, [property: Id(1)] int Trials);
