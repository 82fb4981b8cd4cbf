namespace YoloSweep.Grains.Hosts;

/// <summary>The persisted state of a <see cref="TrainerHostGrain"/>: one row of the hosts table.</summary>
[GenerateSerializer]
public sealed record HostRecord
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public string Name { get; init; } = "";
    [Id(2)] public IReadOnlyList<DeviceInfo> Devices { get; init; } = [];
    [Id(3)] public DateTimeOffset RegisteredAt { get; init; }
    [Id(4)] public DateTimeOffset LastSeenAt { get; init; }
}

/// <summary>A device a trainer host offers: its name and memory.</summary>
[GenerateSerializer]
public sealed record DeviceInfo([property: Id(0)] string Name, [property: Id(1)] long MemoryMb = 0);
