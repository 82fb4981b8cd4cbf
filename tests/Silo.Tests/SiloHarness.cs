using System.Net.Http.Headers;
using System.Net.Http.Json;
using YoloSweep.Contracts;

namespace YoloSweep.Silo.Tests;

/// <summary>A real Silo on Kestrel (127.0.0.1, free port, SQLite temp file) and HTTP clients for each role.</summary>
public sealed class SiloHarness : IAsyncDisposable
{
    public const string ClientToken = "client-secret-0123456789";
    public const string TrainerToken = "trainer-secret-0123456789";
    readonly string _dir;

    SiloHarness(SiloApp silo, string dir)
    {
        Silo = silo; _dir = dir;
        Client = NewClient(ClientToken);
        Trainer = NewClient(TrainerToken);
        Anonymous = NewClient(null);
    }

    public SiloApp Silo { get; }
    public HttpClient Client { get; }
    public HttpClient Trainer { get; }
    public HttpClient Anonymous { get; }

    public static async Task<SiloHarness> StartAsync(Func<SiloOptions, SiloOptions>? configure = null)
    {
        var dir = Directory.CreateTempSubdirectory("yolosweep-silo-").FullName;
        var options = new SiloOptions
        {
            Db = Path.Combine(dir, "silo.db"), ClientToken = ClientToken, TrainerToken = TrainerToken,
            Urls = "http://127.0.0.1:0", LogToConsole = false, LogFile = Path.Combine(dir, "silo.log"), SiloPort = 0,
        };
        return new SiloHarness(await SiloApp.StartAsync(configure?.Invoke(options) ?? options), dir);
    }

    public HttpClient NewClient(string? token)
    {
        var c = new HttpClient { BaseAddress = new Uri(Silo.BaseUrl) };
        if (token is not null) c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return c;
    }

    public static StringContent JsonBody(object value) => new(Json.Serialize(value), System.Text.Encoding.UTF8, "application/json");

    public static async Task<T> Read<T>(HttpResponseMessage r) => (await r.Content.ReadFromJsonAsync<T>(Json.Options))!;

    public async ValueTask DisposeAsync()
    {
        Client.Dispose(); Trainer.Dispose(); Anonymous.Dispose();
        await Silo.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
