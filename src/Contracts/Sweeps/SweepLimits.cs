namespace YoloSweep.Contracts.Sweeps;

/// <summary>
/// What a sweep file may cost to read, checked before any work is done: a request from anyone holding the client token
/// must not be able to stall or kill the coordinator. Every limit is reported as "file:line:col: what, the limit".
/// </summary>
public static class SweepLimits
{
    /// <summary>The sweep file's size in UTF-8 bytes (the largest realistic sweep is a few KB).</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>Nesting of mappings and lists; a sweep needs 4 levels, and deeper YAML is where parsers recurse.</summary>
    public const int MaxDepth = 64;

    /// <summary>Aliases (*name) in one file; aliases as mapping keys are refused outright (their hashing is exponential).</summary>
    public const int MaxAliases = 100;

    /// <summary>Trials one sweep may expand to, counted arithmetically before anything is expanded.</summary>
    public const int MaxTrials = 200_000;

    /// <summary>Upper bounds of the time settings: a day, so later arithmetic on them cannot overflow.</summary>
    public const double MaxSeconds = 86_400;
}
