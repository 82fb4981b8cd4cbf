namespace YoloSweep.Silo;

/// <summary>Everything a Silo needs to start; from the command line or the YOLOSWEEP_* environment.</summary>
public sealed record SiloOptions
{
    /// <summary>A SQLite file path, or a PostgreSQL URL / connection string (several replicas share it).</summary>
    public string Db { get; init; } = "yolosweep.db";
    public string? ClientToken { get; init; }
    public string? TrainerToken { get; init; }
    /// <summary>Listen address(es); port 0 picks a free one (tests).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8080";
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan ReaperInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>After a start the reaper waits this long so hosts can renew leases that ran out while the Silo was down.</summary>
    public TimeSpan? ReaperGrace { get; init; }
    public long MaxBodyBytes { get; init; } = 1 << 20;
    /// <summary>Also write logs to this file (embedded mode writes only here, the console shows progress).</summary>
    public string? LogFile { get; init; }
    public bool LogToConsole { get; init; } = true;

    public static SiloOptions FromEnvironment()
    {
        var o = new SiloOptions();
        return o with
        {
            Db = Env("YOLOSWEEP_DB") ?? o.Db,
            ClientToken = Env("YOLOSWEEP_CLIENT_TOKEN"),
            TrainerToken = Env("YOLOSWEEP_TRAINER_TOKEN"),
            Urls = Env("YOLOSWEEP_URLS") ?? o.Urls,
        };
    }

    static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ClientToken) || string.IsNullOrWhiteSpace(TrainerToken))
            throw new SiloConfigException("both tokens are required: set YOLOSWEEP_CLIENT_TOKEN and YOLOSWEEP_TRAINER_TOKEN (or --client-token/--trainer-token)");
        if (ClientToken == TrainerToken)
            throw new SiloConfigException("the client and trainer tokens must differ (they grant different roles)");
        if (LeaseDuration < TimeSpan.FromSeconds(1)) throw new SiloConfigException("the lease duration must be at least 1 second");
    }
}

/// <summary>A Silo that cannot start as configured; the message says what to set.</summary>
public sealed class SiloConfigException(string message) : Exception(message);
