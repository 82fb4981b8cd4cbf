using System.Net;
using System.Net.Sockets;
using YoloSweep.Grains.Storage;
using YoloSweep.Hosting;

namespace YoloSweep.Silo;

/// <summary>Everything a silo needs to start; from the command line or the YOLOSWEEP_* environment.</summary>
public sealed record SiloOptions
{
    /// <summary>A SQLite file path (embedded: a single silo, localhost clustering), or a PostgreSQL URL / connection
    /// string (a cluster: silos find each other through the membership table in that database).</summary>
    public string Db { get; init; } = "yolosweep.db";
    public string? ClientToken { get; init; }
    public string? TrainerToken { get; init; }
    /// <summary>HTTP listen address(es); port 0 picks a free one (tests).</summary>
    public string Urls { get; init; } = "http://127.0.0.1:8080";
    /// <summary>The lease duration to ask for; null adopts the cluster's (see <see cref="ClusterSettings"/>).</summary>
    public TimeSpan? LeaseDuration { get; init; }
    public static readonly TimeSpan DefaultLeaseDuration = TimeSpan.FromSeconds(60);
    /// <summary>Silo-to-silo port (Orleans); 0 picks a free one.</summary>
    public int SiloPort { get; init; } = 11111;
    /// <summary>The Orleans gateway port for Orleans clients; 0 = no gateway. YoloSweep's own clients (trainers, the
    /// CLI) use the HTTP API, and a gateway must never face an untrusted network.</summary>
    public int GatewayPort { get; init; }
    /// <summary>The address other silos reach this one at (a pod's IP); null: POD_IP, else the loopback for SQLite,
    /// else this machine's first IPv4 address.</summary>
    public string? AdvertiseAddress { get; init; }
    /// <summary>The name this silo shows in the membership table and the dashboard: a pod's name (POD_NAME), else the
    /// machine's.</summary>
    public string? Name { get; init; }
    public string ClusterId { get; init; } = "yolosweep";
    public string ServiceId { get; init; } = "yolosweep";
    public long MaxBodyBytes { get; init; } = 1 << 20;
    /// <summary>The trainers' shared folder, when this silo sees it too: a sweep's dataset is then checked at submission.</summary>
    public string? SharedDir { get; init; }
    /// <summary>Also write logs to this file (embedded mode writes only here, the console shows progress).</summary>
    public string? LogFile { get; init; }
    public bool LogToConsole { get; init; } = true;
    /// <summary>Serve the Orleans dashboard at /dashboard (client token).</summary>
    public bool Dashboard { get; init; } = true;
    /// <summary>The time grains read (tests move it by hand).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    public bool IsCluster => Database.IsPostgres(Db);

    public static SiloOptions FromEnvironment()
    {
        var o = new SiloOptions();
        return o with
        {
            Db = Env("YOLOSWEEP_DB") ?? o.Db,
            ClientToken = Secrets.Read("YOLOSWEEP_CLIENT_TOKEN"),
            TrainerToken = Secrets.Read("YOLOSWEEP_TRAINER_TOKEN"),
            Urls = Env("YOLOSWEEP_URLS") ?? o.Urls,
            SiloPort = Port("YOLOSWEEP_SILO_PORT") ?? o.SiloPort,
            GatewayPort = Port("YOLOSWEEP_GATEWAY_PORT") ?? o.GatewayPort,
            AdvertiseAddress = Env("YOLOSWEEP_ADVERTISE_ADDRESS"),
            Name = Env("POD_NAME"),
            ClusterId = Env("YOLOSWEEP_CLUSTER_ID") ?? o.ClusterId,
            ServiceId = Env("YOLOSWEEP_SERVICE_ID") ?? o.ServiceId,
            SharedDir = Env("YOLOSWEEP_SHARED_DIR"),
        };
    }

    static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    static int? Port(string name) => Env(name) is { } v
        ? int.TryParse(v, out var p) && p is >= 0 and <= 65535 ? p : throw new SiloConfigException($"{name}={v}: expected a port number 0..65535")
        : null;

    public void Validate()
    {
        Secrets.Check("client token (YOLOSWEEP_CLIENT_TOKEN, --client-token-file)", ClientToken, e => new SiloConfigException(e));
        Secrets.Check("trainer token (YOLOSWEEP_TRAINER_TOKEN, --trainer-token-file)", TrainerToken, e => new SiloConfigException(e));
        if (ClientToken!.Trim() == TrainerToken!.Trim())
            throw new SiloConfigException("the client and trainer tokens must differ (they grant different roles)");
        if (LeaseDuration is { } l && (l < TimeSpan.FromSeconds(1) || l > TimeSpan.FromHours(24)))
            throw new SiloConfigException("the lease duration must be between 1 second and 24 hours");
        if (SiloPort is < 0 or > 65535 || GatewayPort is < 0 or > 65535) throw new SiloConfigException("ports must be in 0..65535");
        if (AdvertiseAddress is { } a && !IPAddress.TryParse(a, out _)) throw new SiloConfigException($"advertise address '{a}' is not an IP address");
    }

    /// <summary>The address other silos reach this one at.</summary>
    public IPAddress Advertised()
    {
        if (AdvertiseAddress is { } a) return IPAddress.Parse(a);
        if (Env("POD_IP") is { } pod && IPAddress.TryParse(pod, out var ip)) return ip;
        if (!IsCluster) return IPAddress.Loopback;
        return Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(x => x.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(x))
               ?? IPAddress.Loopback;
    }
}

/// <summary>A silo that cannot start as configured; the message says what to set.</summary>
public sealed class SiloConfigException(string message) : Exception(message);
