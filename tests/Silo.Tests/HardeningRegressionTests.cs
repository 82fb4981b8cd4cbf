using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;
using static YoloSweep.Silo.Tests.SiloHarness;

namespace YoloSweep.Silo.Tests;

/// <summary>
/// Issue 11, the items the first suite left without a regression test of their own (13, 12, 14, 1 as JSON, 4 through
/// the API): each through a real Silo on Kestrel, each failing if its fix is taken out.
/// </summary>
public class HardeningRegressionTests
{
    static StringContent Raw(string body, string type = "application/json") => new(body, Encoding.UTF8, type);

    [Fact]
    public async Task Item13_every_answer_pages_and_api_alike_forbids_framing_sniffing_and_foreign_scripts()
    {
        await using var h = await StartAsync();
        var answers = new (string What, HttpResponseMessage Response)[]
        {
            ("the page at /", await h.Anonymous.GetAsync("/")),
            ("an API read", await h.Client.GetAsync("/api/v1/sweeps")),
            ("a 401", await h.Anonymous.GetAsync("/api/v1/sweeps")),
            ("a 404", await h.Client.GetAsync("/api/v1/nothing")),
            ("a 400", await h.Client.PostAsync("/api/v1/sweeps", Raw("{"))),
            ("a probe", await h.Anonymous.GetAsync("/healthz")),
        };
        Assert.Equal(HttpStatusCode.OK, answers[0].Response.StatusCode);
        Assert.Contains("<title>YoloSweep dashboard</title>", await answers[0].Response.Content.ReadAsStringAsync());
        foreach (var (what, r) in answers)
        {
            string? One(string name) => r.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : null;
            Assert.True(One("X-Content-Type-Options") == "nosniff", $"{what}: X-Content-Type-Options {One("X-Content-Type-Options") ?? "missing"}");
            Assert.True(One("X-Frame-Options") == "DENY", $"{what}: X-Frame-Options {One("X-Frame-Options") ?? "missing"}");
            var csp = One("Content-Security-Policy");
            Assert.True(csp is not null, $"{what}: no Content-Security-Policy");
            var directives = csp!.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .ToDictionary(d => d.Split(' ')[0], d => d.Split(' ').Skip(1).ToArray());
            Assert.Equal(["'self'"], directives["default-src"]);
            Assert.Equal(["'none'"], directives["frame-ancestors"]);
            // scripts only from the Silo itself: no other origin, no wildcard
            Assert.All(directives["script-src"], s => Assert.True(s is "'self'" or "'unsafe-inline'", $"{what}: script-src {s}"));
            Assert.All(directives["connect-src"], s => Assert.Equal("'self'", s));
        }
    }

    [Fact]
    public async Task Item12_a_configured_token_is_trimmed_as_incoming_tokens_are()
    {
        // A token read from a file or a Kubernetes secret often ends with a newline; the Silo must not then refuse the
        // token every caller sends (trimmed by HTTP) while validating the configured one as long enough.
        await using var h = await StartAsync(o => o with { ClientToken = "  " + ClientToken + "\n", TrainerToken = TrainerToken + "\r\n" });
        Assert.Equal(HttpStatusCode.OK, (await h.Client.GetAsync("/api/v1/sweeps")).StatusCode);
        var reg = await h.Trainer.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest("h", "h", [new DeviceView("cpu")])));
        Assert.Equal(HttpStatusCode.OK, reg.StatusCode);
        // the roles stay apart and a near miss is still refused
        Assert.Equal(HttpStatusCode.Forbidden, (await h.Trainer.PostAsync("/api/v1/sweeps/x/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.NewClient(ClientToken[..^1]).GetAsync("/api/v1/sweeps")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await h.NewClient(ClientToken + "x").GetAsync("/api/v1/sweeps")).StatusCode);
        // padding does not make a short token long enough
        var e = await Assert.ThrowsAsync<SiloConfigException>(() => SiloApp.StartAsync(new SiloOptions
        {
            Urls = "http://127.0.0.1:0", ClientToken = "abc" + new string(' ', 20), TrainerToken = TrainerToken, LogToConsole = false,
        }));
        Assert.Contains("is 3 characters; use at least 16", e.Message);
        var same = await Assert.ThrowsAsync<SiloConfigException>(() => SiloApp.StartAsync(new SiloOptions
        {
            Urls = "http://127.0.0.1:0", ClientToken = TrainerToken + " ", TrainerToken = TrainerToken, LogToConsole = false,
        }));
        Assert.Contains("must differ", same.Message);
    }

    [Fact]
    public async Task Item14_the_lease_length_lives_in_the_database_a_restarted_silo_adopts_it_and_another_value_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("yolosweep-lease-").FullName;
        var db = Path.Combine(dir, "cluster.db");
        try
        {
            async Task<double> LeaseSeconds(SiloHarness h)
            {
                var r = await h.Trainer.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest("h", "h", [new DeviceView("cpu")])));
                return (await Read<RegisterHostResponse>(r)).LeaseSeconds;
            }
            await using (var first = await StartAsync(o => o with { Db = db, LeaseDuration = TimeSpan.FromSeconds(3) }))
                Assert.Equal(3, await LeaseSeconds(first));
            // started without --lease-seconds: the stored value, not this silo's default (60 s)
            await using (var restarted = await StartAsync(o => o with { Db = db, LeaseDuration = null }))
                Assert.Equal(3, await LeaseSeconds(restarted));
            // started with another value: refuses to start rather than lease for 30 s beside silos leasing for 3 s
            var e = await Assert.ThrowsAsync<SiloConfigException>(() => StartAsync(o => o with { Db = db, LeaseDuration = TimeSpan.FromSeconds(30) }));
            Assert.Contains("this cluster's lease is 3 s", e.Message);
            Assert.Contains("--lease-seconds 30", e.Message);
            await using (var agreeing = await StartAsync(o => o with { Db = db, LeaseDuration = TimeSpan.FromSeconds(3) }))
                Assert.Equal(3, await LeaseSeconds(agreeing));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Item1_deeply_nested_json_bodies_get_400_at_once_on_every_endpoint_and_the_silo_stays_up()
    {
        await using var h = await StartAsync();
        var deepArray = new string('[', 40_000) + new string(']', 40_000);
        var deepObject = string.Concat(Enumerable.Repeat("{\"a\":", 20_000)) + "1" + new string('}', 20_000);
        var inField = "{\"yaml\": " + deepArray + "}";
        await h.Client.PostAsync("/api/v1/sweeps", Raw("[[1]]")); // warm-up (JIT), so the bound below is about the body
        foreach (var (client, path) in new[] { (h.Client, "/api/v1/sweeps"), (h.Trainer, "/api/v1/hosts"), (h.Trainer, "/api/v1/leases"), (h.Trainer, "/api/v1/leases/x/epoch") })
            foreach (var body in new[] { deepArray, deepObject, inField })
            {
                var watch = Stopwatch.StartNew();
                var r = await client.PostAsync(path, Raw(body));
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"{path}: {watch.Elapsed}");
                Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
                Assert.StartsWith("malformed JSON body", (await Read<ErrorResponse>(r)).Error);
            }
        Assert.Equal("ok", await h.Anonymous.GetStringAsync("/healthz"));
    }

    [Fact]
    public async Task Item8_a_sweep_submitted_before_any_host_registers_is_accepted_with_a_warning_that_names_what_it_waits_for()
    {
        await using var h = await StartAsync();
        static string Yaml(string name) => $"name: {name}\ntrain: {{ epochs: 1, simulate: {{ seconds_per_epoch: 0 }} }}\nmatrix: {{ model: yolov5 }}\nseeds: [0, 1]\nresources: {{ gpus: 2 }}\n";

        var early = await Read<SubmitSweepResponse>(await h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(Yaml("early")))));
        Assert.Equal("created", early.Outcome);
        Assert.Contains("no trainer host is registered yet", early.Warning);
        Assert.Contains("2 trial(s) stay pending until a host with at least 2 device(s)", early.Warning);

        await h.Trainer.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest("h", "h", [new DeviceView("cpu0"), new DeviceView("cpu1")])));
        var later = await Read<SubmitSweepResponse>(await h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(Yaml("later")))));
        Assert.Equal("created", later.Outcome);
        Assert.Null(later.Warning);
    }

    [Fact]
    public async Task Item4_spellings_of_one_knob_value_are_one_trial_over_http_and_group_by_the_knob_answers()
    {
        await using var h = await StartAsync();
        const string yaml = """
            name: canon
            train: { epochs: 1, simulate: { seconds_per_epoch: 0 } }
            matrix:
              model: [yolov5-c3faster]
              knobs: { pconv.n_div: [" 2", "+2", "02", "2.0", 4, "+4", "04.0"] }
            seeds: [0, 1]
            """;
        var submitted = await h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(yaml, "canon.yaml")));
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        Assert.Equal(4, (await Read<SubmitSweepResponse>(submitted)).Trials); // 2 values × 2 seeds, not 7 × 2

        await h.Trainer.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest("h", "h", Enumerable.Range(0, 4).Select(i => new DeviceView($"cpu{i}")).ToList())));
        var leases = (await Read<AcquireResponse>(await h.Trainer.PostAsync("/api/v1/leases", JsonBody(new AcquireRequest("h", 4, 4))))).Leases;
        Assert.Equal(["2", "2", "4", "4"], leases.Select(l => l.Spec.Knobs["pconv.n_div"]).Order());
        foreach (var l in leases)
        {
            var ok = await h.Trainer.PostAsync($"/api/v1/leases/{l.TrialId}/complete", JsonBody(new CompleteRequest(l.FencingToken, new TrialMetrics { Map50_95 = 0.3, Map50 = 0.5 })));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        foreach (var groupBy in new[] { "pconv.n_div", "model,pconv.n_div", "model" })
        {
            var r = await h.Client.GetAsync($"/api/v1/leaderboard?sweep=canon&group_by={groupBy}");
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"group_by={groupBy}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
            var rows = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.EnumerateArray().ToList();
            Assert.Equal(groupBy == "model" ? 1 : 2, rows.Count);
            Assert.All(rows, row => Assert.Equal(groupBy == "model" ? 4 : 2, row.GetProperty("seeds").GetInt32()));
        }
    }
}
