using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using YoloSweep.Grains.Queries;
using YoloSweep.Grains.Storage;
using YoloSweep.Silo.Api;

namespace YoloSweep.Silo.Web;

/// <summary>What `yolosweep dashboard` serves: a run's database, on which port, with which shared folder.</summary>
public sealed record DashboardOptions
{
    /// <summary>The port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; } = 8080;
    /// <summary>The shared folder the trials' artefacts and logs are in (null: the trial pages show none).</summary>
    public string? SharedDir { get; init; }
}

/// <summary>
/// The web dashboard without a silo: the same pages and the same read API (<see cref="ReadApi"/>) as the Silo's,
/// straight from a run's database, on the loopback only and without a token (whoever can reach 127.0.0.1 here can
/// read the database file anyway). Nothing here writes: no grains, no submit or cancel, no trainer endpoints.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    readonly WebApplication _app;

    DashboardServer(WebApplication app, string url) => (_app, Url) = (app, url);

    /// <summary>http://127.0.0.1:PORT (the real port when 0 was asked).</summary>
    public string Url { get; }

    public static async Task<DashboardServer> StartAsync(Database db, DashboardOptions options, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(db);
        builder.Services.AddSingleton<ReadModel>();
        builder.Services.AddSingleton(new TrialFiles(options.SharedDir));
        var app = builder.Build();
        app.Use(Pipeline.SecurityHeaders);
        app.Use(LoopbackHostOnly);
        app.Use(Pipeline.Guard);
        app.MapGet("/healthz", () => Results.Text("ok"));
        WebAssets.Map(app);
        var api = app.MapGroup("/api/v1");
        ReadApi.Map(api.MapGroup(""));
        api.MapFallback((HttpContext h) => Http.Error(404, $"no API route {h.Request.Method} {h.Request.Path} (this is the read-only dashboard of a run's database)"));
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DashboardServer(app, address.TrimEnd('/'));
    }

    /// <summary>
    /// Only requests addressed to the loopback by name: a web page elsewhere that points its own host name at 127.0.0.1
    /// (DNS rebinding) would otherwise read this token-less API from the user's browser.
    /// </summary>
    static async Task LoopbackHostOnly(HttpContext http, Func<Task> next)
    {
        if (http.Request.Host.Host is "127.0.0.1" or "localhost" or "[::1]") { await next(); return; }
        await Http.Error(400, $"this dashboard answers only requests to 127.0.0.1 or localhost, not '{http.Request.Host.Host}'").ExecuteAsync(http);
    }

    public async ValueTask DisposeAsync()
    {
        try { await _app.StopAsync(); }
        finally { await _app.DisposeAsync(); }
    }
}
