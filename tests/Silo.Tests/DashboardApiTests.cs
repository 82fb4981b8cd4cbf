using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;
using YoloSweep.Silo.Api;
using YoloSweep.Silo.Web;
using static YoloSweep.Silo.Tests.SiloHarness;

namespace YoloSweep.Silo.Tests;

/// <summary>
/// What the web dashboard reads beyond the sweeps, trials and leaderboard: the pages and their assets, per-epoch
/// curves per configuration, a trial's spec, artefacts (confined to its folder in the shared folder) and log tail;
/// and `yolosweep dashboard`'s server, the same read API without a token and without any write.
/// </summary>
public sealed class DashboardApiTests : IDisposable
{
    const string Sweep = """
        name: dash-api
        train: { epochs: 2, simulate: { seconds_per_epoch: 0 } }
        matrix: { model: [yolov5, yolov5-c3faster], scale: n, knobs: { pconv.n_div: [2, 4] } }
        seeds: [0, 1]
        """;

    readonly string _root = Directory.CreateTempSubdirectory("yolosweep-dash-api-").FullName;
    string Shared => Path.Combine(_root, "shared");

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    static readonly byte[] Png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3, 4];

    async Task<SiloHarness> StartWithSweepAsync(bool shared = true)
    {
        Directory.CreateDirectory(Shared);
        var h = await StartAsync(o => shared ? o with { SharedDir = Shared } : o);
        Assert.Equal(HttpStatusCode.Created, (await h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(Sweep, "dash.yaml")))).StatusCode);
        return h;
    }

    static async Task<List<TrialView>> TrialsAsync(SiloHarness h) =>
        await Read<List<TrialView>>(await h.Client.GetAsync("/api/v1/trials?sweep=dash-api"));

    [Fact]
    public async Task The_pages_and_their_assets_are_served_with_a_script_policy_of_self()
    {
        await using var h = await StartAsync();
        var page = await h.Anonymous.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<title>YoloSweep dashboard</title>", html);
        Assert.Contains("<script src=\"/assets/echarts.min.js\"", html);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("img-src 'self' data: blob:", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());

        // No inline script anywhere (the policy would block it), and every script and stylesheet a page names is served.
        foreach (var name in new[] { "/", "/trial.html" })
        {
            var text = await h.Anonymous.GetStringAsync(name);
            Assert.DoesNotMatch(new Regex("<script(?![^>]*\\bsrc=)[^>]*>"), text);
            Assert.DoesNotMatch(new Regex("\\son[a-z]+=\""), text); // no inline event handlers either
            foreach (Match m in Regex.Matches(text, "(?:src|href)=\"(/assets/[^\"]+)\""))
            {
                var asset = await h.Anonymous.GetAsync(m.Groups[1].Value);
                Assert.True(asset.StatusCode == HttpStatusCode.OK, m.Groups[1].Value);
            }
        }

        var echarts = await h.Anonymous.GetAsync("/assets/echarts.min.js");
        Assert.Equal("text/javascript", echarts.Content.Headers.ContentType!.MediaType);
        var bytes = await echarts.Content.ReadAsByteArrayAsync();
        Assert.True(bytes.Length > 500_000, $"echarts.min.js is {bytes.Length} bytes");
        // Revalidation: the same ETag gives a 304 without the body.
        var again = new HttpRequestMessage(HttpMethod.Get, "/assets/echarts.min.js");
        again.Headers.TryAddWithoutValidation("If-None-Match", echarts.Headers.ETag!.Tag);
        Assert.Equal(HttpStatusCode.NotModified, (await h.Anonymous.SendAsync(again)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Anonymous.GetAsync("/assets/nothing.js")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Anonymous.GetAsync("/assets/index.html")).StatusCode);
        Assert.Contains("echarts.min.js", WebAssets.Names);
    }

    [Fact]
    public async Task Curves_give_each_configuration_its_mean_min_and_max_per_epoch_over_its_seeds()
    {
        await using var h = await StartWithSweepAsync();
        var reg = await h.Trainer.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest("host", "host", Enumerable.Range(0, 6).Select(i => new DeviceView($"cpu{i}")).ToList())));
        Assert.Equal(HttpStatusCode.OK, reg.StatusCode);
        var leases = (await Read<AcquireResponse>(await h.Trainer.PostAsync("/api/v1/leases", JsonBody(new AcquireRequest("host", 6, 6))))).Leases;
        Assert.Equal(6, leases.Count);
        foreach (var l in leases.Where(l => l.Spec.Model == "yolov5"))
        {
            await h.Trainer.PostAsync($"/api/v1/leases/{l.TrialId}/start", JsonBody(new StartRequest(l.FencingToken, 1)));
            foreach (var epoch in new[] { 1, 2 })
            {
                var r = await h.Trainer.PostAsync($"/api/v1/leases/{l.TrialId}/epoch", JsonBody(new EpochRequest(l.FencingToken, new EpochReport
                {
                    Epoch = epoch, Map50_95 = 0.1 * epoch + 0.2 * l.Spec.Seed, Map50 = 0.5, Lr = 0.01,
                    Losses = new(StringComparer.Ordinal) { ["box"] = 1.0 / epoch, ["val/box"] = 2.0 / epoch },
                })));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }
        }

        var curves = JsonDocument.Parse(await h.Client.GetStringAsync("/api/v1/sweeps/dash-api/curves")).RootElement;
        var config = Assert.Single(curves.EnumerateArray()); // only yolov5 reported epochs
        Assert.Equal("yolov5", config.GetProperty("model").GetString());
        Assert.Equal(2, config.GetProperty("trials").GetInt32());
        Assert.Equal([0, 1], config.GetProperty("seeds").EnumerateArray().Select(s => s.GetInt32()));
        Assert.Equal(["map50_95", "map50", "fitness", "loss/box", "loss/val/box", "lr"], config.GetProperty("metrics").EnumerateArray().Select(m => m.GetString()));
        var epochs = config.GetProperty("epochs").EnumerateArray().ToList();
        Assert.Equal([1, 2], epochs.Select(e => e.GetProperty("epoch").GetInt32()));
        var map = epochs[1].GetProperty("values").GetProperty("map50_95");
        Assert.Equal(2, epochs[1].GetProperty("n").GetInt32());
        Assert.Equal(0.3, map.GetProperty("mean").GetDouble(), 9); // seeds 0 and 1: 0.2 and 0.4
        Assert.Equal(0.2, map.GetProperty("min").GetDouble(), 9);
        Assert.Equal(0.4, map.GetProperty("max").GetDouble(), 9);
        Assert.Equal(Math.Sqrt(0.02), map.GetProperty("std").GetDouble(), 9);
        Assert.Equal(1.0, epochs[1].GetProperty("values").GetProperty("loss/val/box").GetProperty("mean").GetDouble(), 9);

        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync("/api/v1/sweeps/nope/curves")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.Anonymous.GetAsync("/api/v1/sweeps/dash-api/curves")).StatusCode);
    }

    [Fact]
    public async Task A_trials_artefacts_are_listed_and_served_from_its_folder_only()
    {
        await using var h = await StartWithSweepAsync();
        var trials = await TrialsAsync(h);
        var (t, other) = (trials[0], trials[1]);
        var folder = Path.Combine(Shared, "checkpoints", "dash-api", t.Id);
        Directory.CreateDirectory(Path.Combine(folder, "plots"));
        Directory.CreateDirectory(Path.Combine(folder, "weights"));
        File.WriteAllBytes(Path.Combine(folder, "PR_curve.png"), Png);
        File.WriteAllBytes(Path.Combine(folder, "plots", "results.png"), Png);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "hello");
        File.WriteAllText(Path.Combine(folder, "weights", "best.safetensors"), "not served");
        var outside = Path.Combine(_root, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "TOP-SECRET-CONTENT");
        File.WriteAllText(Path.Combine(Shared, "shared-secret.txt"), "TOP-SECRET-CONTENT");
        File.CreateSymbolicLink(Path.Combine(folder, "leak.txt"), Path.Combine(outside, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "linked"), outside);

        var listing = JsonDocument.Parse(await h.Client.GetStringAsync($"/api/v1/trials/{t.Id}/artifacts")).RootElement;
        Assert.Equal($"checkpoints/dash-api/{t.Id}", listing.GetProperty("folder").GetString());
        var files = listing.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(["PR_curve.png", "plots/results.png", "notes.txt"], files.Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(["image", "image", "text"], files.Select(f => f.GetProperty("kind").GetString()));
        Assert.Equal(Png.Length, files[0].GetProperty("size").GetInt64());

        var png = await h.Client.GetAsync($"/api/v1/trials/{t.Id}/artifacts/PR_curve.png");
        Assert.Equal(HttpStatusCode.OK, png.StatusCode);
        Assert.Equal("image/png", png.Content.Headers.ContentType!.MediaType);
        Assert.Equal(Png, await png.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await h.Client.GetAsync($"/api/v1/trials/{t.Id}/artifacts/plots/results.png")).StatusCode);
        var text = await h.Client.GetAsync($"/api/v1/trials/{t.Id}/artifacts/notes.txt");
        Assert.Equal("text/plain", text.Content.Headers.ContentType!.MediaType);
        Assert.Equal("hello", await text.Content.ReadAsStringAsync());

        // Links, unlisted kinds, escapes and other trials' names are all the same 404.
        foreach (var name in new[] { "leak.txt", "linked/secret.txt", "weights/best.safetensors", "..%2F..%2F..%2Fshared-secret.txt",
                     "../../../shared-secret.txt", "%2E%2E/%2E%2E/%2E%2E/shared-secret.txt", "/etc/passwd", "notes.TXT" })
        {
            var r = await h.Client.GetAsync($"/api/v1/trials/{t.Id}/artifacts/{name}");
            Assert.True(r.StatusCode == HttpStatusCode.NotFound, $"{name}: {r.StatusCode}");
            Assert.DoesNotContain("TOP-SECRET", await r.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync($"/api/v1/trials/{other.Id}/artifacts/PR_curve.png")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync("/api/v1/trials/nope/artifacts")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.Anonymous.GetAsync($"/api/v1/trials/{t.Id}/artifacts/PR_curve.png")).StatusCode);

        // A trial folder that is a link out of the shared folder is not read at all.
        Directory.CreateSymbolicLink(Path.Combine(Shared, "checkpoints", "dash-api", other.Id), outside);
        var refused = JsonDocument.Parse(await h.Client.GetStringAsync($"/api/v1/trials/{other.Id}/artifacts")).RootElement;
        Assert.Empty(refused.GetProperty("files").EnumerateArray());
        Assert.Contains("not inside the shared folder", refused.GetProperty("note").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync($"/api/v1/trials/{other.Id}/artifacts/secret.txt")).StatusCode);
    }

    [Fact]
    public async Task A_trial_folder_recorded_outside_the_shared_folder_is_never_read()
    {
        await using var h = await StartWithSweepAsync();
        await h.Trainer.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest("host", "host", [new DeviceView("cpu0")])));
        var lease = Assert.Single((await Read<AcquireResponse>(await h.Trainer.PostAsync("/api/v1/leases", JsonBody(new AcquireRequest("host", 1, 1))))).Leases);
        await h.Trainer.PostAsync($"/api/v1/leases/{lease.TrialId}/start", JsonBody(new StartRequest(lease.FencingToken, 1)));
        Directory.CreateDirectory(Path.Combine(_root, "outside"));
        File.WriteAllText(Path.Combine(_root, "outside", "secret.txt"), "secret");
        var done = await h.Trainer.PostAsync($"/api/v1/leases/{lease.TrialId}/complete",
            JsonBody(new CompleteRequest(lease.FencingToken, new TrialMetrics { Map50_95 = 0.3 }, "../outside")));
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);

        var listing = JsonDocument.Parse(await h.Client.GetStringAsync($"/api/v1/trials/{lease.TrialId}/artifacts")).RootElement;
        Assert.Empty(listing.GetProperty("files").EnumerateArray());
        Assert.Contains("not inside the shared folder", listing.GetProperty("note").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync($"/api/v1/trials/{lease.TrialId}/artifacts/secret.txt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync($"/api/v1/trials/{lease.TrialId}/log")).StatusCode);
    }

    [Fact]
    public async Task The_log_endpoint_gives_the_last_lines_of_the_trials_newest_log_and_the_spec_endpoint_its_settings()
    {
        await using var h = await StartWithSweepAsync();
        var t = (await TrialsAsync(h))[0];
        var folder = Path.Combine(Shared, "checkpoints", "dash-api", t.Id);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "trial-20260101-000000-1.log"), "an older attempt\n");
        File.SetLastWriteTimeUtc(Path.Combine(folder, "trial-20260101-000000-1.log"), DateTime.UtcNow.AddHours(-1));
        File.WriteAllLines(Path.Combine(folder, "trial-20260101-010000-2.log"), Enumerable.Range(1, 300).Select(i => $"line {i}"));

        var log = JsonDocument.Parse(await h.Client.GetStringAsync($"/api/v1/trials/{t.Id}/log?tail=5")).RootElement;
        Assert.Equal("trial-20260101-010000-2.log", log.GetProperty("file").GetString());
        Assert.Equal(["line 296", "line 297", "line 298", "line 299", "line 300"], log.GetProperty("lines").EnumerateArray().Select(l => l.GetString()));
        Assert.True(log.GetProperty("truncated").GetBoolean());
        var all = JsonDocument.Parse(await h.Client.GetStringAsync($"/api/v1/trials/{t.Id}/log")).RootElement;
        Assert.Equal(200, all.GetProperty("lines").GetArrayLength()); // the default tail
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Client.GetAsync($"/api/v1/trials/{t.Id}/log?tail=0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync($"/api/v1/trials/{(await TrialsAsync(h))[1].Id}/log")).StatusCode);

        var spec = JsonDocument.Parse(await h.Client.GetStringAsync($"/api/v1/trials/{t.Id}/spec")).RootElement;
        Assert.Equal(t.Model, spec.GetProperty("model").GetString());
        Assert.Equal(2, spec.GetProperty("train").GetProperty("epochs").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync("/api/v1/trials/nope/spec")).StatusCode);
    }

    [Fact]
    public async Task Without_the_shared_folder_a_trial_has_no_artefacts_and_says_why()
    {
        await using var h = await StartWithSweepAsync(shared: false);
        var t = (await TrialsAsync(h))[0];
        var listing = JsonDocument.Parse(await h.Client.GetStringAsync($"/api/v1/trials/{t.Id}/artifacts")).RootElement;
        Assert.Empty(listing.GetProperty("files").EnumerateArray());
        Assert.Contains("without the shared folder", listing.GetProperty("note").GetString());
    }

    [Fact]
    public async Task The_dashboard_server_serves_the_pages_and_the_read_api_without_a_token_and_no_writes()
    {
        await using var h = await StartWithSweepAsync();
        await using var server = await DashboardServer.StartAsync(h.Silo.Database, new DashboardOptions { Port = 0, SharedDir = Shared });
        Assert.StartsWith("http://127.0.0.1:", server.Url);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };

        Assert.Contains("<title>YoloSweep dashboard</title>", await http.GetStringAsync("/"));
        Assert.Contains("script-src 'self';", (await http.GetAsync("/trial.html")).Headers.GetValues("Content-Security-Policy").Single());
        var sweep = JsonDocument.Parse(await http.GetStringAsync("/api/v1/sweeps/dash-api")).RootElement;
        Assert.Equal(6, sweep.GetProperty("counts").GetProperty("pending").GetInt32());
        var trials = JsonDocument.Parse(await http.GetStringAsync("/api/v1/trials?sweep=dash-api")).RootElement;
        Assert.Equal(6, trials.GetArrayLength());
        var id = trials[0].GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/v1/trials/{id}/spec")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/v1/trials/{id}/artifacts")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/leaderboard?sweep=dash-api")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/knob-effects?sweep=dash-api")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/sweeps/dash-api/curves")).StatusCode);

        // Read-only: no submit, cancel, host registration or lease; not even with the silo's tokens.
        using var withToken = new HttpClient { BaseAddress = new Uri(server.Url) };
        withToken.DefaultRequestHeaders.Authorization = new("Bearer", ClientToken);
        Assert.Equal(HttpStatusCode.NotFound, (await withToken.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(Sweep)))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await withToken.PostAsync("/api/v1/sweeps/dash-api/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest("x", "x", [new DeviceView("cpu")])))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.PostAsync("/api/v1/leases", JsonBody(new AcquireRequest("x", 1)))).StatusCode);
        Assert.Equal("active", (await h.Silo.Orchestrator.Reads.GetSweepAsync("dash-api"))!.Status);

        // Only requests addressed to the loopback (a rebound host name gets nothing).
        var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sweeps");
        rebound.Headers.Host = "evil.example:8080";
        var refused = await http.SendAsync(rebound);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.DoesNotContain("dash-api", await refused.Content.ReadAsStringAsync());
        var local = new HttpRequestMessage(HttpMethod.Get, "/api/v1/sweeps");
        local.Headers.Host = "localhost:8080";
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(local)).StatusCode);
    }
}
