using System.Net.Http.Headers;
using System.Net.Http.Json;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Api;
using YoloSweep.Testing;

namespace YoloSweep.EndToEnd.Tests;

/// <summary>
/// A small cluster of real processes on loopback: `yolosweep silo`, `yolosweep trainer` hosts, and CLI calls,
/// sharing a temp folder (checkpoints) like hosts sharing a volume.
/// </summary>
public sealed class Cluster : IAsyncDisposable
{
    public const string ClientToken = "e2e-client-token-0123";
    public const string TrainerToken = "e2e-trainer-token-0123";

    public string Dir { get; } = Directory.CreateTempSubdirectory("yolosweep-e2e-").FullName;
    public int Port { get; } = PostgresServer.FreePort();
    public string Url => $"http://127.0.0.1:{Port}";
    public string Shared => Path.Combine(Dir, "shared");
    public CliProcess? Silo { get; private set; }
    public List<CliProcess> Trainers { get; } = [];
    readonly List<CliProcess> _all = [];
    readonly HttpClient _http;

    public Cluster()
    {
        _http = new HttpClient { BaseAddress = new Uri(Url) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClientToken);
    }

    /// <summary>The silo-to-silo port of the first silo; a restarted first silo comes back on it (as a pod would).</summary>
    public int SiloPort { get; } = PostgresServer.FreePort();

    static IEnumerable<string> LeaseArgs(double? leaseSeconds) =>
        leaseSeconds is { } s ? ["--lease-seconds", s.ToString(System.Globalization.CultureInfo.InvariantCulture)] : [];

    static Dictionary<string, string?> SiloEnv() => new() { ["YOLOSWEEP_CLIENT_TOKEN"] = ClientToken, ["YOLOSWEEP_TRAINER_TOKEN"] = TrainerToken };

    public async Task StartSiloAsync(string db, double? leaseSeconds = 3)
    {
        Silo = CliProcess.Start(Dir, ["silo", "--db", db, "--urls", Url, "--silo-port", SiloPort.ToString(), .. LeaseArgs(leaseSeconds),
            "--log-file", Path.Combine(Dir, "silo.log")], SiloEnv());
        _all.Add(Silo);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                if ((await _http.GetAsync("/readyz")).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            if (Silo.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException($"the Silo did not start:\n{Silo.Stdout}\n{Silo.Stderr}");
            await Task.Delay(100);
        }
    }

    /// <summary>Another Silo process on the same database (a replica), on its own port; returns its URL.</summary>
    public async Task<string> StartReplicaAsync(string db, double? leaseSeconds = null) => (await StartReplicaProcessAsync(db, leaseSeconds)).Url;

    /// <summary>Another silo of the cluster, on its own HTTP and silo ports; <paramref name="port"/> reuses an HTTP port (a restart).</summary>
    public async Task<(string Url, CliProcess Process)> StartReplicaProcessAsync(string db, double? leaseSeconds = null, int? port = null, int? siloPort = null)
    {
        port ??= PostgresServer.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var replica = CliProcess.Start(Dir, ["silo", "--db", db, "--urls", url, "--silo-port", (siloPort ?? PostgresServer.FreePort()).ToString(), .. LeaseArgs(leaseSeconds),
            "--log-file", Path.Combine(Dir, $"silo-{port}.log")], SiloEnv());
        _all.Add(replica);
        using var probe = new HttpClient();
        for (var deadline = DateTime.UtcNow.AddSeconds(30); ; await Task.Delay(100))
        {
            try { if ((await probe.GetAsync(url + "/readyz")).IsSuccessStatusCode) return (url, replica); } catch (HttpRequestException) { }
            if (replica.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException($"the replica did not start:\n{replica.Stderr}");
        }
    }

    public CliProcess StartTrainer(string name, string devices = "cpu", string? silo = null)
    {
        var t = CliProcess.Start(Dir, ["trainer", "--name", name, "--poll-seconds", "0.2", "--log-file", Path.Combine(Dir, $"trainer-{name}.log")],
            new Dictionary<string, string?>
            {
                ["YOLOSWEEP_SILO"] = silo ?? Url, ["YOLOSWEEP_TRAINER_TOKEN"] = TrainerToken, ["YOLOSWEEP_DEVICES"] = devices, ["YOLOSWEEP_SHARED_DIR"] = Shared,
            });
        Trainers.Add(t);
        _all.Add(t);
        return t;
    }

    /// <summary>A CLI command as a user of this cluster runs it (client token and Silo URL in the environment).</summary>
    public Task<(int Code, string Out, string Err)> CliAsync(params string[] args) =>
        CliProcess.RunAsync(Dir, args, new Dictionary<string, string?> { ["YOLOSWEEP_SILO"] = Url, ["YOLOSWEEP_TOKEN"] = ClientToken }, TimeSpan.FromSeconds(180));

    public string WriteSweep(string name, string yaml)
    {
        var path = Path.Combine(Dir, name + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    public async Task<List<TrialView>> TrialsAsync(string sweep) =>
        (await _http.GetFromJsonAsync<List<TrialView>>($"/api/v1/trials?sweep={sweep}", Json.Options))!;

    public async Task<List<Grains.Queries.TrialEvent>> EventsAsync(string trialId) =>
        (await _http.GetFromJsonAsync<List<Grains.Queries.TrialEvent>>($"/api/v1/trials/{trialId}/events", Json.Options))!;

    public async Task<List<EpochReportView>> EpochsAsync(string trialId) =>
        (await _http.GetFromJsonAsync<List<EpochReportView>>($"/api/v1/trials/{trialId}/metrics", Json.Options))!;

    public sealed record EpochReportView(int Epoch, double Map50_95);

    /// <summary>Polls until <paramref name="done"/> holds for the sweep's trials (Silo outages are waited out).</summary>
    public async Task<List<TrialView>> WaitForAsync(string sweep, Func<List<TrialView>, bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        List<TrialView>? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await TrialsAsync(sweep);
                if (done(last)) return last;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"sweep {sweep} did not reach the expected state; trials: {string.Join(", ", last?.Select(t => $"{t.Id}:{t.State}/{t.EpochsDone}") ?? [])}\n" +
                                   $"silo log:\n{Tail(Path.Combine(Dir, "silo.log"))}");
    }

    static string Tail(string path) => File.Exists(path) ? string.Join('\n', File.ReadAllLines(path).TakeLast(30)) : "(none)";

    public async ValueTask DisposeAsync()
    {
        foreach (var p in _all) await p.DisposeAsync();
        _http.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
