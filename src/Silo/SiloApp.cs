using System.Net;
using System.Net.Sockets;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Runtime;
using Serilog;
using YoloSweep.Grains;
using YoloSweep.Grains.Storage;
using YoloSweep.Hosting;
using YoloSweep.Silo.Api;
using YoloSweep.Silo.Web;

namespace YoloSweep.Silo;

/// <summary>
/// A YoloSweep silo: an Orleans silo (the grains that schedule sweeps) co-hosted with ASP.NET Core (the HTTP API that
/// trainers and the CLI call, bearer auth, health probes, the web dashboard, the Orleans dashboard). With a SQLite
/// file it is a single silo on localhost clustering (embedded mode); with PostgreSQL every silo sharing the database
/// joins one cluster through the membership table there. Used by `yolosweep silo`, by `yolosweep run`, and by tests.
/// </summary>
public sealed class SiloApp : IAsyncDisposable
{
    readonly WebApplication _app;

    SiloApp(WebApplication app, Database db, string baseUrl)
    {
        _app = app; Database = db; BaseUrl = baseUrl;
    }

    public Database Database { get; }
    public Orchestrator Orchestrator => _app.Services.GetRequiredService<Orchestrator>();
    public IGrainFactory Grains => _app.Services.GetRequiredService<IGrainFactory>();
    /// <summary>Where the HTTP API listens, e.g. http://127.0.0.1:41234 (the real port when 0 was asked).</summary>
    public string BaseUrl { get; }

    /// <summary>
    /// Failure detection tuned for a small cluster on one network: a silo that stops answering is declared dead after
    /// two missed one-second probes (about 2 s instead of Orleans' 10–13 s), so its grains reactivate elsewhere fast.
    /// </summary>
    static void TuneMembership(ClusterMembershipOptions m)
    {
        m.ProbeTimeout = TimeSpan.FromSeconds(1);
        m.NumMissedProbesLimit = 2;
        m.NumVotesForDeathDeclaration = 1;
        m.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        m.TableRefreshTimeout = TimeSpan.FromSeconds(5);
        m.DefunctSiloCleanupPeriod = TimeSpan.FromHours(1);
        m.DefunctSiloExpiration = TimeSpan.FromDays(1);
    }

    public static async Task<SiloApp> StartAsync(SiloOptions options, CancellationToken ct = default)
    {
        options.Validate();
        var logger = Logging.Create(options.LogFile, options.LogToConsole);
        Database db;
        ClusterSettings settings;
        try
        {
            db = Database.Open(options.Db);
            await Migrations.ApplyAsync(db, ct);
            settings = await ClusterSettings.LoadAsync(db, options.LeaseDuration, SiloOptions.DefaultLeaseDuration, ct);
        }
        catch (Exception e) when (e is ClusterSettingsException or InvalidOperationException or ArgumentException or FormatException or UriFormatException
                                      or UnauthorizedAccessException || Database.IsUnavailable(e))
        {
            await ((IAsyncDisposable)logger).DisposeAsync();
            throw new SiloConfigException(e is ClusterSettingsException ? e.Message : $"cannot open the database '{Database.Redact(options.Db)}': {e.Message}");
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes * 4);
        // Grains need time to write their state and hand over on SIGTERM (Kubernetes waits terminationGracePeriodSeconds).
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(25));
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(logger, dispose: true);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new Auth(options));
        builder.Services.AddSingleton(new TrialFiles(options.SharedDir));
        var siloPort = options.SiloPort == 0 ? FreePort() : options.SiloPort;
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(c => { c.ClusterId = options.ClusterId; c.ServiceId = options.ServiceId; });
            if (options.Name is { } name) silo.Configure<Orleans.Configuration.SiloOptions>(s => s.SiloName = name);
            if (options.IsCluster)
            {
                silo.UseSqlClustering();
                silo.ConfigureEndpoints(options.Advertised(), siloPort, options.GatewayPort, listenOnAnyHostAddress: true);
            }
            else silo.UseLocalhostClustering(siloPort, options.GatewayPort, serviceId: options.ServiceId, clusterId: options.ClusterId);
            silo.Configure<ClusterMembershipOptions>(TuneMembership);
            silo.Configure<SiloMessagingOptions>(m => m.ResponseTimeout = TimeSpan.FromSeconds(10));
            silo.AddYoloSweepGrains(db, settings, new OrchestratorClock(options.Clock));
            if (options.Dashboard) silo.AddDashboard();
        });
        var app = builder.Build();

        var auth = app.Services.GetRequiredService<Auth>();
        app.Use(Pipeline.SecurityHeaders);
        app.Use(Pipeline.Guard);
        app.Use(auth.Guard("/dashboard", Role.Client));
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", Ready);
        WebAssets.Map(app);
        if (options.Dashboard) app.MapOrleansDashboard(routePrefix: "/dashboard");

        var api = app.MapGroup("/api/v1");
        var read = api.MapGroup("").AddEndpointFilter(auth.Require(Role.Client, Role.Trainer));
        var client = api.MapGroup("").AddEndpointFilter(auth.Require(Role.Client));
        var trainer = api.MapGroup("").AddEndpointFilter(auth.Require(Role.Trainer));
        ReadApi.Map(read);
        SweepsApi.Map(client, options);
        LeasesApi.Map(trainer, options);
        api.MapFallback((HttpContext h) => Http.Error(404, $"no API route {h.Request.Method} {h.Request.Path}"));

        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            await db.DisposeAsync();
            throw;
        }
        var url = app.Urls.First().Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1");
        app.Logger.LogInformation("Silo listening on {Url} (database {Db}, {Mode}, silo port {SiloPort}, lease {Lease} s)",
            url, db.Describe, options.IsCluster ? $"cluster '{options.ClusterId}'" : "single silo", siloPort, settings.LeaseDuration.TotalSeconds);
        return new SiloApp(app, db, url);
    }

    /// <summary>Ready when the database answers and this silo is an active member of its cluster.</summary>
    static async Task<IResult> Ready(Database db, ISiloStatusOracle membership, CancellationToken ct)
    {
        if (membership.CurrentStatus != SiloStatus.Active) return Http.Error(503, $"silo is {membership.CurrentStatus.ToString().ToLowerInvariant()}, not active");
        return await db.PingAsync(ct) ? Results.Text("ready") : Http.Error(503, "database unreachable");
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        try { await _app.StopAsync(); }
        finally
        {
            await _app.DisposeAsync();
            await Database.DisposeAsync();
        }
    }
}
