using System.Globalization;
using Dapper;

namespace YoloSweep.Grains.Storage;

/// <summary>
/// Settings every silo of a cluster must agree on, kept in the database (cluster_settings) rather than in each
/// silo's command line: the lease duration decides when a silent host loses its trials, and replicas with different
/// values would extend each other's leases.
/// </summary>
public sealed record ClusterSettings(TimeSpan LeaseDuration)
{
    public const string LeaseKey = "lease_seconds";

    /// <summary>
    /// The cluster's lease duration: the first silo to start stores its own (or the default); later silos adopt the
    /// stored value. A silo asked explicitly for a different value refuses to start (a misconfigured replica must not
    /// change the cluster's behaviour silently).
    /// </summary>
    public static async Task<ClusterSettings> LoadAsync(Database db, TimeSpan? requested, TimeSpan fallback, CancellationToken ct = default)
    {
        var proposal = (requested ?? fallback).TotalSeconds.ToString("R", CultureInfo.InvariantCulture);
        var stored = await db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO cluster_settings (name, value) VALUES (@LeaseKey, @proposal) ON CONFLICT (name) DO NOTHING",
                new { LeaseKey, proposal }, tx, cancellationToken: ct));
            return await c.QuerySingleAsync<string>(new CommandDefinition(
                "SELECT value FROM cluster_settings WHERE name = @LeaseKey", new { LeaseKey }, tx, cancellationToken: ct));
        }, ct);
        var seconds = double.Parse(stored, CultureInfo.InvariantCulture);
        if (requested is { } r && Math.Abs(r.TotalSeconds - seconds) > 1e-9)
            throw new ClusterSettingsException(
                $"this cluster's lease is {seconds:0.###} s (stored in the database by the first silo), but this silo was started with " +
                $"--lease-seconds {r.TotalSeconds:0.###}: start it with the cluster's value, or without --lease-seconds");
        return new ClusterSettings(TimeSpan.FromSeconds(seconds));
    }
}

/// <summary>A silo whose settings contradict the cluster's; the message says what to change.</summary>
public sealed class ClusterSettingsException(string message) : Exception(message);

/// <summary>The time grains read (a test moves it by hand; Orleans' own timers keep real time).</summary>
public sealed class OrchestratorClock(TimeProvider time)
{
    public static readonly OrchestratorClock System = new(TimeProvider.System);
    public DateTimeOffset Now => time.GetUtcNow();
}
