using System.Data.Common;
using Microsoft.AspNetCore.Builder;
using Serilog;
using YoloSweep.Grains.Stores;
using YoloSweep.Silo.Api;
using YoloSweep.Silo.Web;

namespace YoloSweep.Silo;

/// <summary>
/// The coordinator host: the HTTP API over the store, bearer auth, health probes, the lease reaper and the web
/// leaderboard. Used by `yolosweep silo`, by embedded `yolosweep run`, and by tests (port 0 = a free port).
/// </summary>
public sealed class SiloApp : IAsyncDisposable
{
    readonly WebApplication _app;

    SiloApp(WebApplication app, ISweepStore store, string baseUrl)
    {
        _app = app; Store = store; BaseUrl = baseUrl;
    }

    public ISweepStore Store { get; }
    /// <summary>Where the Silo listens, e.g. http://127.0.0.1:41234 (the real port when 0 was asked).</summary>
    public string BaseUrl { get; }

    public static async Task<SiloApp> StartAsync(SiloOptions options, CancellationToken ct = default)
    {
        options.Validate();
        var logger = Logging.Create(options.LogFile, options.LogToConsole);
        ISweepStore store;
        try
        {
            store = await SweepStores.OpenAsync(options.Db, ct: ct);
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or ArgumentException or IOException or UnauthorizedAccessException or FormatException or UriFormatException)
        {
            await ((IAsyncDisposable)logger).DisposeAsync();
            throw new SiloConfigException($"cannot open the database '{Redact(options.Db)}': {e.Message}");
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes * 4);
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger, dispose: true);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new Auth(options));
        builder.Services.AddHostedService<LeaseReaper>();
        var app = builder.Build();

        app.Use(Guard);
        var auth = app.Services.GetRequiredService<Auth>();
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (ISweepStore s, CancellationToken c) =>
            await s.PingAsync(c) ? Results.Text("ready") : Http.Error(503, "database unreachable"));
        app.MapGet("/", () => Results.Content(LeaderboardPage.Html, "text/html; charset=utf-8"));

        var api = app.MapGroup("/api/v1");
        var read = api.MapGroup("").AddEndpointFilter(auth.Require(Role.Client, Role.Trainer));
        var client = api.MapGroup("").AddEndpointFilter(auth.Require(Role.Client));
        var trainer = api.MapGroup("").AddEndpointFilter(auth.Require(Role.Trainer));
        SweepsApi.Map(read, client, options);
        TrialsApi.Map(read);
        LeasesApi.Map(trainer, options);
        api.MapFallback((HttpContext h) => Http.Error(404, $"no API route {h.Request.Method} {h.Request.Path}"));

        await app.StartAsync(ct);
        var url = app.Urls.First().Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1");
        app.Logger.LogInformation("Silo listening on {Url} (database {Db})", url, Redact(options.Db));
        return new SiloApp(app, store, url);
    }

    /// <summary>Unexpected errors become JSON 500s (503 when the database is down) instead of dropped connections.</summary>
    static async Task Guard(HttpContext http, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            var log = http.RequestServices.GetRequiredService<ILogger<SiloApp>>();
            var dbDown = e is DbException or TimeoutException;
            log.LogError(e, "{Method} {Path} failed", http.Request.Method, http.Request.Path);
            await Http.Error(dbDown ? 503 : 500, dbDown ? "database unavailable, retry later" : "internal error: " + e.Message).ExecuteAsync(http);
        }
    }

    /// <summary>A connection string without its password, for logs and errors.</summary>
    public static string Redact(string db) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(db, @"(?i)(password|pwd)=[^;]*", "$1=***"), @"://([^:/@]+):[^@]*@", "://$1:***@");

    public Task WaitForShutdownAsync(CancellationToken ct = default) => _app.WaitForShutdownAsync(ct);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Store.DisposeAsync();
    }
}
