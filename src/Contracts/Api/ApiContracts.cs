using YoloSweep.Contracts.Trials;


namespace YoloSweep.Contracts.Api;

// The JSON shapes of the Silo's HTTP API (/api/v1), shared by the Silo, the trainer host and the CLI.
// Plain records: nothing here knows about HTTP.

public sealed record ErrorResponse(string Error, IReadOnlyList<string>? Details = null);

public sealed record SubmitSweepRequest(string Yaml, string? File = null);
/// <summary>Warning: set when the sweep was accepted but nothing can run it yet (no trainer host registered).</summary>
public sealed record SubmitSweepResponse(string Sweep, string Outcome, int Trials, string? Warning = null);

public sealed record SweepView(string Name, string Status, int Priority, DateTimeOffset CreatedAt, int Total, int Finished,
    IReadOnlyDictionary<string, int> Counts, string? SpecYaml = null);

public sealed record TrialView(string Id, string Sweep, string Model, string Scale, IReadOnlyDictionary<string, string> Knobs, int Seed,
    string State, int Attempt, long FencingToken, string? HostId, DateTimeOffset? LeaseExpiresAt, int? StartEpoch, int EpochsDone,
    int Epochs, string? Error, TrialMetrics? Metrics, string? Artifacts, DateTimeOffset CreatedAt, DateTimeOffset? FinishedAt)
{
    /// <summary>The final figures at the top level, beside the seed, so per-seed results read without digging.</summary>
    public double? Map50_95 => Metrics?.Map50_95;
    public double? Map50 => Metrics?.Map50;
}

public sealed record DeviceView(string Name, long MemoryMb = 0);
public sealed record HostView(string Id, string Name, IReadOnlyList<DeviceView> Devices, DateTimeOffset RegisteredAt, DateTimeOffset LastSeenAt);
public sealed record RegisterHostRequest(string HostId, string? Name, IReadOnlyList<DeviceView> Devices);
public sealed record RegisterHostResponse(string HostId, double LeaseSeconds);

public sealed record AcquireRequest(string HostId, int FreeDevices, int Max = 1);
public sealed record LeaseView(string TrialId, long FencingToken, int Attempt, bool Resume, double LeaseSeconds, DateTimeOffset ExpiresAt, TrialSpec Spec);
public sealed record AcquireResponse(IReadOnlyList<LeaseView> Leases);

public sealed record RenewRequest(long FencingToken);
public sealed record StartRequest(long FencingToken, int StartEpoch = 1);
public sealed record EpochRequest(long FencingToken, EpochReport Epoch);
public sealed record CompleteRequest(long FencingToken, TrialMetrics Metrics, string? Artifacts = null);
public sealed record ReleaseRequest(long FencingToken, string? Reason = null);
public sealed record FailRequest(long FencingToken, string Reason, bool Retryable = true);
/// <summary>accepted | stale | cancelled | not_found</summary>
public sealed record ReportResponse(string Status);

