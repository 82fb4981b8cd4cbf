using Orleans;

namespace YoloSweep.Contracts.Trials;

/// <summary>The Silo's answer to a trainer's report about a lease.</summary>
[GenerateSerializer]
public enum ReportStatus
{
    Accepted,
    /// <summary>The token is not the trial's current one (the lease expired and was given to someone else).</summary>
    Stale,
    /// <summary>The sweep or trial was cancelled: stop the trial.</summary>
    Cancelled,
    NotFound,
}
