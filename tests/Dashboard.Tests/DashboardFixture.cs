using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using YoloSweep.Testing;

namespace YoloSweep.Dashboard.Tests;

/// <summary>
/// A finished run, made once for the test class with the real CLI, in one database: sweep <c>dash</c> (21 simulated
/// trials: seven configurations of four models, a knob with three values, three seeds), sweep <c>broken</c> (three
/// simulated trials that crash, so failed), sweep <c>real</c> (one tiny real training on a synthetic dataset, for a
/// trial page with real artefacts: PR curve, results, batches, log). Then `yolosweep dashboard` serving it, and
/// Debian's headless Chromium driven by Playwright.
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public const string Dash = """
        name: dash
        train: { epochs: 6, simulate: { seconds_per_epoch: 0.02 } }
        matrix:
          model: [yolov5, yolov5-c3faster, yolov8, yolov8-dsconv]
          scale: n
          knobs: { pconv.n_div: [2, 4, 8], dsconv.block_size: [8, 16] }
        seeds: [0, 1, 2]
        """;
    public const int DashConfigurations = 7, DashTrials = 21;

    const string Broken = """
        name: broken
        train: { epochs: 3, simulate: { seconds_per_epoch: 0.02, fail_at_epoch: 2 } }
        matrix: { model: yolov8, scale: n }
        seeds: [0, 1, 2]
        retry: { max_attempts: 1, backoff_seconds: 0 }
        """;

    const string Real = """
        name: real
        data: data/tiny/data.yaml
        train: { epochs: 2, imgsz: 64, batch: 8 }
        matrix: { model: yolov8, scale: n }
        seeds: [0]
        """;

    public string Dir { get; } = Directory.CreateTempSubdirectory("yolosweep-dashboard-").FullName;
    public string Db => Path.Combine(Dir, "runs", "dash", "yolosweep.db");
    public string Shared => Path.Combine(Dir, "runs", "shared");
    /// <summary>Where the screenshots go: the test assembly's output folder.</summary>
    public string Screenshots { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");
    public string Url { get; private set; } = "";
    public string RealTrial { get; private set; } = "";
    public string FailedTrial { get; private set; } = "";
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    CliProcess? _server;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);
        File.WriteAllText(Path.Combine(Dir, "dash.yaml"), Dash);
        File.WriteAllText(Path.Combine(Dir, "broken.yaml"), Broken);
        File.WriteAllText(Path.Combine(Dir, "real.yaml"), Real);
        var synth = await CliProcess.RunAsync(Dir, ["data", "synth", "--out", "runs/shared/data/tiny", "--train", "32", "--val", "16", "--imgsz", "64"]);
        Assert.True(synth.Code == 0, synth.Err);
        foreach (var (sweep, expected) in new[] { ("dash", 0), ("broken", 1), ("real", 0) })
        {
            var run = await CliProcess.RunAsync(Dir, ["run", sweep + ".yaml", "--db", Db, "--devices", "cpu:2"], timeout: TimeSpan.FromMinutes(4));
            Assert.True(run.Code == expected, $"yolosweep run {sweep}.yaml exited {run.Code}\n{run.Out}\n{run.Err}");
        }
        await using (var db = Grains.Storage.Database.Open(Db))
        {
            var reads = new Grains.Queries.ReadModel(db);
            RealTrial = Assert.Single(await reads.ListTrialsAsync(new Grains.Queries.TrialQuery("real"))).Id;
            FailedTrial = (await reads.ListTrialsAsync(new Grains.Queries.TrialQuery("broken", Contracts.Trials.TrialState.Failed)))[0].Id;
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        (_server, Url) = await StartDashboardAsync(0);
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true });
    }

    /// <summary>`yolosweep dashboard --db` as a real process; its URL from what it prints.</summary>
    public async Task<(CliProcess Process, string Url)> StartDashboardAsync(int port)
    {
        var p = CliProcess.Start(Dir, ["dashboard", "--db", Db, "--port", port.ToString()]);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (Regex.Match(p.Stdout, @"http://127\.0\.0\.1:\d+") is { Success: true } m) return (p, m.Value);
            if (p.HasExited) break;
            await Task.Delay(100);
        }
        var (stdout, stderr) = (p.Stdout, p.Stderr);
        await p.DisposeAsync();
        throw new InvalidOperationException($"yolosweep dashboard did not start\nstdout:\n{stdout}\nstderr:\n{stderr}");
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A page at 1,400 × 900 whose console errors and uncaught exceptions are collected.</summary>
    public async Task<(IPage Page, List<string> Errors)> OpenAsync(string url)
    {
        var context = await Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 900 } });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type == "error") lock (errors) errors.Add("console: " + m.Text); };
        page.PageError += (_, e) => { lock (errors) errors.Add("exception: " + e); };
        await page.GotoAsync(url);
        return (page, errors);
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
