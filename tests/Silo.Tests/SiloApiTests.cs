using System.Net;
using System.Text.Json;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Queries;
using static YoloSweep.Silo.Tests.SiloHarness;

namespace YoloSweep.Silo.Tests;

public class SiloApiTests
{
    const string Sweep = """
        name: api-test
        train: { epochs: 2, simulate: { seconds_per_epoch: 0 } }
        matrix: { model: [yolov5, yolov5-c3faster], scale: n, knobs: { pconv.n_div: [2, 4] } }
        seeds: [0, 1]
        retry: { max_attempts: 3, backoff_seconds: 0 }
        """;

    static async Task<HttpResponseMessage> Submit(HttpClient c, string yaml) =>
        await c.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(yaml, "mine.yaml")));

    static async Task<List<LeaseView>> RegisterAndAcquire(HttpClient trainer, string host, int devices)
    {
        var reg = await trainer.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest(host, host, Enumerable.Range(0, devices).Select(i => new DeviceView($"cpu{i}")).ToList())));
        Assert.Equal(HttpStatusCode.OK, reg.StatusCode);
        var r = await trainer.PostAsync("/api/v1/leases", JsonBody(new AcquireRequest(host, devices, devices)));
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return (await Read<AcquireResponse>(r)).Leases.ToList();
    }

    [Fact]
    public async Task Health_and_readiness_probes_answer()
    {
        await using var h = await StartAsync();
        Assert.Equal("ok", await h.Anonymous.GetStringAsync("/healthz"));
        Assert.Equal("ready", await h.Anonymous.GetStringAsync("/readyz"));
    }

    [Fact]
    public async Task Calls_without_a_valid_token_get_401()
    {
        await using var h = await StartAsync();
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.Anonymous.GetAsync("/api/v1/sweeps")).StatusCode);
        var r = await Submit(h.Anonymous, Sweep);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Contains("bearer token", (await Read<ErrorResponse>(r)).Error);
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.NewClient("wrong").GetAsync("/api/v1/leaderboard")).StatusCode);
        Assert.Empty(await h.Silo.Orchestrator.Reads.ListSweepsAsync()); // nothing was created
    }

    [Fact]
    public async Task A_trainer_token_may_not_cancel_or_submit_and_a_client_token_may_not_lease()
    {
        await using var h = await StartAsync();
        Assert.Equal(HttpStatusCode.Created, (await Submit(h.Client, Sweep)).StatusCode);
        var cancel = await h.Trainer.PostAsync("/api/v1/sweeps/api-test/cancel", null);
        Assert.Equal(HttpStatusCode.Forbidden, cancel.StatusCode);
        Assert.Contains("needs the client token", (await Read<ErrorResponse>(cancel)).Error);
        Assert.Equal(HttpStatusCode.Forbidden, (await Submit(h.Trainer, Sweep)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Client.PostAsync("/api/v1/leases", JsonBody(new AcquireRequest("h", 1)))).StatusCode);
        Assert.Equal("active", (await h.Silo.Orchestrator.Reads.GetSweepAsync("api-test"))!.Status);
        // both roles may read
        Assert.Equal(HttpStatusCode.OK, (await h.Trainer.GetAsync("/api/v1/sweeps")).StatusCode);
    }

    [Fact]
    public async Task Malformed_oversized_and_empty_bodies_get_400_and_the_silo_stays_up()
    {
        await using var h = await StartAsync(o => o with { MaxBodyBytes = 64 * 1024 });
        var malformed = await h.Trainer.PostAsync("/api/v1/leases", new StringContent("{\"host_id\": ", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.StartsWith("malformed JSON body", (await Read<ErrorResponse>(malformed)).Error);

        var wrongShape = await h.Trainer.PostAsync("/api/v1/leases", new StringContent("[1,2,3]", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongShape.StatusCode);
        var wrongType = await h.Trainer.PostAsync("/api/v1/leases/x/renew", new StringContent("{\"fencing_token\":\"abc\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);

        var big = new string('x', 200 * 1024);
        var oversized = await Submit(h.Client, big);
        Assert.Equal(HttpStatusCode.BadRequest, oversized.StatusCode);
        Assert.Contains("too large", (await Read<ErrorResponse>(oversized)).Error);

        // chunked (no Content-Length): the limit applies while reading
        var chunked = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new("application/json");
        var req = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sweeps") { Content = chunked };
        req.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Client.SendAsync(req)).StatusCode);

        Assert.Equal(HttpStatusCode.BadRequest, (await h.Trainer.PostAsync("/api/v1/hosts", new StringContent("", System.Text.Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Trainer.PostAsync("/api/v1/hosts", JsonBody(new { host_id = "h" }))).StatusCode);
        Assert.Equal("ok", await h.Anonymous.GetStringAsync("/healthz"));
    }

    [Fact]
    public async Task Invalid_sweeps_get_400_with_located_errors()
    {
        await using var h = await StartAsync();
        var r = await Submit(h.Client, "name: bad\nmatrix:\n  model: [yolov5, yolov7]\n  knobs: { dsconv.bits: [4] }\n");
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        var error = await Read<ErrorResponse>(r);
        Assert.Equal("invalid sweep: 2 error(s)", error.Error);
        Assert.Contains(error.Details!, d => d.StartsWith("mine.yaml:3:19: unknown model 'yolov7'"));
        Assert.Contains(error.Details!, d => d.StartsWith("mine.yaml:4:12: knob 'dsconv.bits' does not apply"));

        var yamlError = await Submit(h.Client, "name: [unclosed\n");
        Assert.Matches(@"^mine\.yaml:\d+:\d+: invalid YAML", (await Read<ErrorResponse>(yamlError)).Details![0]);

        // raw YAML body works too
        var raw = await h.Client.PostAsync("/api/v1/sweeps", new StringContent("name: x\nmatrix: { model: yolov99 }\n", System.Text.Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.BadRequest, raw.StatusCode);
        Assert.StartsWith("sweep.yaml:2:18: unknown model", (await Read<ErrorResponse>(raw)).Details![0]);
    }

    [Fact]
    public async Task Submitting_is_idempotent_and_a_different_sweep_with_the_same_name_conflicts()
    {
        await using var h = await StartAsync();
        var first = await Submit(h.Client, Sweep);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var created = await Read<SubmitSweepResponse>(first);
        Assert.Equal(("api-test", "created", 6), (created.Sweep, created.Outcome, created.Trials));
        Assert.NotNull(created.Warning); // no trainer host has registered yet (HardeningRegressionTests.Item8 reads it)
        var again = await Submit(h.Client, "# a comment changes nothing\n" + Sweep);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("already_exists", (await Read<SubmitSweepResponse>(again)).Outcome);
        Assert.Equal(HttpStatusCode.Conflict, (await Submit(h.Client, Sweep.Replace("seeds: [0, 1]", "seeds: [0, 1, 2]"))).StatusCode);
        Assert.Equal(6, (await h.Silo.Orchestrator.Reads.ListTrialsAsync(new TrialQuery("api-test"))).Count);
        var list = await Read<List<SweepView>>(await h.Client.GetAsync("/api/v1/sweeps"));
        Assert.Equal(6, Assert.Single(list).Counts["pending"]);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync("/api/v1/sweeps/nope")).StatusCode);
    }

    [Fact]
    public async Task A_trial_runs_through_the_lease_api_and_lands_on_the_leaderboard()
    {
        await using var h = await StartAsync();
        await Submit(h.Client, Sweep);
        var leases = await RegisterAndAcquire(h.Trainer, "host-a", 6);
        Assert.Equal(6, leases.Count);
        foreach (var l in leases)
        {
            async Task<ReportResponse> Post(string what, object body)
            {
                var r = await h.Trainer.PostAsync($"/api/v1/leases/{l.TrialId}/{what}", JsonBody(body));
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                return await Read<ReportResponse>(r);
            }
            Assert.Equal("accepted", (await Post("start", new StartRequest(l.FencingToken, 1))).Status);
            await Post("epoch", new EpochRequest(l.FencingToken, new EpochReport { Epoch = 1, Map50_95 = 0.1, Losses = new() { ["box"] = 0.5 } }));
            await Post("renew", new RenewRequest(l.FencingToken));
            var map = l.Spec.Model == "yolov5" ? 0.30 : 0.32 + (l.Spec.Knobs["pconv.n_div"] == "2" ? 0.02 : 0);
            await Post("complete", new CompleteRequest(l.FencingToken, new TrialMetrics { Map50_95 = map + l.Spec.Seed * 0.01, Map50 = 0.5, Gflops = 4, Params = 1_000_000 }, $"checkpoints/api-test/{l.TrialId}"));
        }
        var trial = await Read<TrialView>(await h.Client.GetAsync($"/api/v1/trials/{leases[0].TrialId}"));
        Assert.Equal("succeeded", trial.State);
        Assert.Equal($"checkpoints/api-test/{leases[0].TrialId}", trial.Artifacts);
        var hosts = await Read<List<HostView>>(await h.Client.GetAsync("/api/v1/hosts"));
        Assert.Equal(6, Assert.Single(hosts).Devices.Count);
        var epochs = await Read<List<EpochReport>>(await h.Client.GetAsync($"/api/v1/trials/{leases[0].TrialId}/metrics"));
        Assert.Equal(0.5, Assert.Single(epochs).Losses["box"]);

        var json = await h.Client.GetStringAsync("/api/v1/leaderboard?sweep=api-test");
        using var doc = JsonDocument.Parse(json);
        var rows = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(3, rows.Count);
        var best = rows[0];
        Assert.Equal("yolov5-c3faster", best.GetProperty("model").GetString());
        Assert.Equal("pconv.mlp_ratio=2 pconv.n_div=2", best.GetProperty("knobs").GetString());
        Assert.Equal(0.345, best.GetProperty("map50_95").GetProperty("mean").GetDouble(), 6);
        // Seed for seed the variant is 0.04 ahead: paired, zero spread, a point interval, "better".
        var delta = best.GetProperty("delta_map50_95");
        Assert.Equal(0.04, delta.GetProperty("mean").GetDouble(), 6);
        Assert.True(delta.GetProperty("paired").GetBoolean());
        Assert.Equal(0.04, delta.GetProperty("ci_low").GetDouble(), 6);
        Assert.Equal("better", best.GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, rows.Single(r => r.GetProperty("model").GetString() == "yolov5").GetProperty("delta_map50_95").ValueKind);
        Assert.True(best.GetProperty("pareto_gflops").GetBoolean());
        Assert.Equal(2, best.GetProperty("seeds").GetInt32());

        var top = await h.Client.GetStringAsync("/api/v1/leaderboard?sweep=api-test&group_by=model&sort=map50_95&top=1");
        Assert.Single(JsonDocument.Parse(top).RootElement.EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await h.Client.GetAsync("/api/v1/leaderboard?sort=nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync("/api/v1/leaderboard?sweep=nope")).StatusCode);

        var effects = JsonDocument.Parse(await h.Client.GetStringAsync("/api/v1/knob-effects?sweep=api-test")).RootElement;
        var nDiv = Assert.Single(effects.EnumerateArray());
        Assert.Equal("pconv.n_div", nDiv.GetProperty("knob").GetString());
        Assert.Equal(["2", "4"], nDiv.GetProperty("values").EnumerateArray().Select(v => v.GetProperty("value").GetString()));
        Assert.Equal(-0.02, nDiv.GetProperty("deltas")[0].GetProperty("mean").GetDouble(), 6);
        // the dashboard reads each delta's verdict (derived from its interval) from the same flat object
        Assert.Contains(nDiv.GetProperty("deltas")[0].GetProperty("verdict").GetString(), new[] { "better", "worse", "no_evidence" });
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync("/api/v1/knob-effects?sweep=nope")).StatusCode);
        var perSeed = JsonDocument.Parse(await h.Client.GetStringAsync("/api/v1/trials?sweep=api-test")).RootElement.EnumerateArray().ToList();
        Assert.All(perSeed, t => Assert.InRange(t.GetProperty("map50_95").GetDouble(), 0.3, 0.36));
    }

    [Fact]
    public async Task An_abandoned_lease_runs_out_on_the_trials_timer_and_the_old_token_is_refused()
    {
        await using var h = await StartAsync(o => o with { LeaseDuration = TimeSpan.FromSeconds(1) });
        Assert.Equal(HttpStatusCode.Created, (await Submit(h.Client, "name: one\nmatrix: { model: yolov5 }\nretry: { backoff_seconds: 0 }\n")).StatusCode);
        var lease = Assert.Single(await RegisterAndAcquire(h.Trainer, "doomed", 1));
        var deadline = DateTime.UtcNow.AddSeconds(10);
        TrialView trial;
        do
        {
            await Task.Delay(100);
            trial = await Read<TrialView>(await h.Client.GetAsync($"/api/v1/trials/{lease.TrialId}"));
        } while (trial.State != "pending" && DateTime.UtcNow < deadline);
        Assert.Equal("pending", trial.State);
        Assert.Contains("lease expired", trial.Error);

        var again = Assert.Single(await RegisterAndAcquire(h.Trainer, "rescuer", 1));
        Assert.True(again.Resume);
        Assert.Equal(2, again.Attempt);
        var late = await h.Trainer.PostAsync($"/api/v1/leases/{lease.TrialId}/complete", JsonBody(new CompleteRequest(lease.FencingToken, new TrialMetrics())));
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("stale", (await Read<ReportResponse>(late)).Status);
    }

    [Fact]
    public async Task Cancelling_tells_the_running_trainer_to_stop()
    {
        await using var h = await StartAsync();
        await Submit(h.Client, Sweep);
        var lease = (await RegisterAndAcquire(h.Trainer, "h", 1))[0];
        var cancel = await h.Client.PostAsync("/api/v1/sweeps/api-test/cancel", null);
        Assert.Equal("cancelled", (await Read<SweepView>(cancel)).Status);
        var renew = await h.Trainer.PostAsync($"/api/v1/leases/{lease.TrialId}/renew", JsonBody(new RenewRequest(lease.FencingToken)));
        Assert.Equal(HttpStatusCode.Conflict, renew.StatusCode);
        Assert.Equal("cancelled", (await Read<ReportResponse>(renew)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.PostAsync("/api/v1/sweeps/nope/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task A_stopping_host_releases_its_trial_without_using_an_attempt()
    {
        await using var h = await StartAsync();
        await Submit(h.Client, Sweep);
        var lease = (await RegisterAndAcquire(h.Trainer, "h", 1))[0];
        var r = await h.Trainer.PostAsync($"/api/v1/leases/{lease.TrialId}/release", JsonBody(new ReleaseRequest(lease.FencingToken, "host stopped")));
        Assert.Equal("accepted", (await Read<ReportResponse>(r)).Status);
        var trial = await Read<TrialView>(await h.Client.GetAsync($"/api/v1/trials/{lease.TrialId}"));
        Assert.Equal("pending", trial.State);
        Assert.Equal(0, trial.Attempt);
        Assert.Equal("host stopped", trial.Error);
    }

    [Fact]
    public async Task Unregistered_hosts_and_unknown_routes_get_404()
    {
        await using var h = await StartAsync();
        var r = await h.Trainer.PostAsync("/api/v1/leases", JsonBody(new AcquireRequest("ghost", 1)));
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Contains("register it first", (await Read<ErrorResponse>(r)).Error);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync("/api/v1/nothing")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await h.Client.GetAsync("/api/v1/trials/nope")).StatusCode);
    }

    [Fact]
    public async Task The_web_page_serves_the_dashboard_and_its_script_reads_the_api()
    {
        await using var h = await StartAsync();
        var html = await h.Anonymous.GetStringAsync("/");
        Assert.Contains("<title>YoloSweep dashboard</title>", html);
        Assert.Contains("<table id=\"board\"", html);
        var script = await h.Anonymous.GetStringAsync("/assets/dashboard.js");
        Assert.Contains("/leaderboard", script);
        Assert.Contains("/knob-effects", script);
    }

    [Fact]
    public async Task A_silo_without_tokens_or_with_a_bad_database_refuses_to_start_with_a_clear_message()
    {
        var e = await Assert.ThrowsAsync<SiloConfigException>(() => SiloApp.StartAsync(new SiloOptions { Urls = "http://127.0.0.1:0" }));
        Assert.Contains("YOLOSWEEP_CLIENT_TOKEN", e.Message);
        var shortToken = await Assert.ThrowsAsync<SiloConfigException>(() => SiloApp.StartAsync(new SiloOptions { Urls = "http://127.0.0.1:0", ClientToken = "a", TrainerToken = TrainerToken }));
        Assert.Contains("is 1 characters; use at least 16", shortToken.Message);
        var db = await Assert.ThrowsAsync<SiloConfigException>(() => SiloApp.StartAsync(new SiloOptions
        {
            Urls = "http://127.0.0.1:0", ClientToken = ClientToken, TrainerToken = TrainerToken, LogToConsole = false,
            Db = "postgres://u:secret@127.0.0.1:1/db",
        }));
        Assert.Contains("cannot open the database", db.Message);
        Assert.DoesNotContain("secret", db.Message);
    }
}
