namespace YoloSweep.Grains;

/// <summary>A trainer host asked for work without registering (or the database was reset): it must register again.</summary>
[GenerateSerializer]
public sealed class UnknownHostException(string hostId) : Exception($"host '{hostId}' is not registered")
{
    [Id(0)] public string HostId { get; } = hostId;
}

/// <summary>The database did not answer; nothing was changed. Callers answer 503 and retry later.</summary>
[GenerateSerializer]
public sealed class StorageUnavailableException(string message) : Exception(message);
