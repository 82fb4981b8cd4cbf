using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Tests;
using YoloSweep.Contracts.Trials;
using static YoloSweep.Silo.Tests.SiloHarness;

namespace YoloSweep.Silo.Tests;

/// <summary>Issue 11 through the real HTTP API: bad input gets a 4xx with a message, fast, and the Silo stays up.</summary>
public class HardeningTests
{
    const string Sweep = """
        name: hard
        train: { epochs: 2, simulate: { seconds_per_epoch: 0 } }
        matrix: { model: yolov5 }
        """;

    static StringContent Raw(string json) => new(json, Encoding.UTF8, "application/json");

    static async Task<LeaseView> OneLease(SiloHarness h, int devices = 1)
    {
        Assert.Equal(HttpStatusCode.Created, (await h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(Sweep, "hard.yaml")))).StatusCode);
        var reg = await h.Trainer.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest("host-a", "host-a", Enumerable.Range(0, devices).Select(i => new DeviceView($"cpu{i}")).ToList())));
        Assert.Equal(HttpStatusCode.OK, reg.StatusCode);
        var r = await h.Trainer.PostAsync("/api/v1/leases", JsonBody(new AcquireRequest("host-a", 1, 1)));
        return Assert.Single((await Read<AcquireResponse>(r)).Leases);
    }

    [Fact]
    public async Task Nan_and_infinity_in_a_result_get_400_naming_the_field_and_the_trial_stays_leased()
    {
        await using var h = await StartAsync();
        var l = await OneLease(h);
        var complete = $"/api/v1/leases/{l.TrialId}/complete";
        // The literal (not JSON) is malformed; the string form System.Text.Json reads as a number is refused by value.
        var literal = await h.Trainer.PostAsync(complete, Raw($$$"""{"fencing_token": {{{l.FencingToken}}}, "metrics": {"map50_95": NaN}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, literal.StatusCode);
        Assert.StartsWith("malformed JSON body at line 1", (await Read<ErrorResponse>(literal)).Error);
        foreach (var (field, value, expected) in new[]
                 {
                     ("map50_95", "\"NaN\"", "'metrics.map50_95' must be a finite number, got NaN"),
                     ("map50", "\"Infinity\"", "'metrics.map50' must be a finite number, got ∞"),
                     ("latency_ms", "\"-Infinity\"", "'metrics.latency_ms' must be a finite number, got -∞"),
                     ("gflops", "1e308", "'metrics.gflops' must be in 0..1000000000, got 1E+308"),
                     ("map50_95", "1.5", "'metrics.map50_95' must be in 0..1, got 1.5"),
                     ("params", "-5", "'metrics.params' must not be negative, got -5"),
                     ("latency_iqr_ms", "\"NaN\"", "'metrics.latency_iqr_ms' must be a finite number, got NaN"),
                     ("latency_runs", "-1", "'metrics.latency_runs' must be in 0..1000000, got -1"),
                 })
        {
            var r = await h.Trainer.PostAsync(complete, Raw($$$"""{"fencing_token": {{{l.FencingToken}}}, "metrics": {"{{{field}}}": {{{value}}}}}"""));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Equal(expected, (await Read<ErrorResponse>(r)).Error.Replace("Infinity", "∞"));
        }
        var epoch = await h.Trainer.PostAsync($"/api/v1/leases/{l.TrialId}/epoch",
            Raw($$$"""{"fencing_token": {{{l.FencingToken}}}, "epoch": {"epoch": 1, "losses": {"box": "NaN"} } }"""));
        Assert.Equal(HttpStatusCode.BadRequest, epoch.StatusCode);
        Assert.Equal("'epoch.losses.box' must be a finite number, got NaN", (await Read<ErrorResponse>(epoch)).Error);

        // nothing was stored; the lease still holds and a finite result is taken
        Assert.Empty(await Read<List<EpochReport>>(await h.Client.GetAsync($"/api/v1/trials/{l.TrialId}/metrics")));
        Assert.Contains((await Read<TrialView>(await h.Client.GetAsync($"/api/v1/trials/{l.TrialId}"))).State, new[] { "leased", "running" });
        var ok = await h.Trainer.PostAsync(complete, JsonBody(new CompleteRequest(l.FencingToken, new TrialMetrics { Map50_95 = 0.3, Map50 = 0.5 })));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var board = await h.Client.GetStringAsync("/api/v1/leaderboard?sweep=hard&group_by=model");
        Assert.Contains("\"mean\":0.3", board);
    }

    [Fact]
    public async Task Host_registration_with_null_or_odd_devices_gets_400()
    {
        await using var h = await StartAsync();
        foreach (var devices in new[] { "[null]", "[{\"name\": \"cpu0\"}, null]", "[1]", "[\"cuda:0\"]", "[{\"memory_mb\": -1}]", "[{\"name\": 5}]" })
        {
            var r = await h.Trainer.PostAsync("/api/v1/hosts", Raw($$$"""{"host_id": "h", "devices": {{{devices}}}}"""));
            Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
            Assert.Contains("devices", (await Read<ErrorResponse>(r)).Error);
        }
        Assert.Equal("ok", await h.Anonymous.GetStringAsync("/healthz"));
    }

    [Fact]
    public async Task A_sweep_needing_more_gpus_than_the_largest_host_is_refused_naming_it()
    {
        await using var h = await StartAsync();
        var wide = "name: wide\ntrain: { simulate: { seconds_per_epoch: 0 } }\nmatrix: { model: yolov5 }\nresources: { gpus: 3 }\n";
        // no host yet: accepted (hosts may register later)
        Assert.Equal(HttpStatusCode.Created, (await h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(wide, "wide.yaml")))).StatusCode);
        await h.Trainer.PostAsync("/api/v1/hosts", JsonBody(new RegisterHostRequest("node-7", "node-7", [new DeviceView("cuda:0"), new DeviceView("cuda:1")])));
        var r = await h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(wide.Replace("wide", "wider"), "wider.yaml")));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Equal("wider.yaml:4:20: resources.gpus 3: the largest registered host (node-7) has 2 device(s)", Assert.Single((await Read<ErrorResponse>(r)).Details!));
    }

    [Fact]
    public async Task A_byte_order_mark_and_a_second_document_through_the_api()
    {
        await using var h = await StartAsync();
        var bom = await h.Client.PostAsync("/api/v1/sweeps", new StringContent("\uFEFF" + Sweep, new UTF8Encoding(false), "application/yaml"));
        Assert.Equal(HttpStatusCode.Created, bom.StatusCode);
        var two = await h.Client.PostAsync("/api/v1/sweeps", new StringContent(Sweep.Replace("hard", "two") + "\n---\nname: other\n", Encoding.UTF8, "application/yaml"));
        Assert.Equal(HttpStatusCode.BadRequest, two.StatusCode);
        Assert.Equal("sweep.yaml:4:1: a second YAML document ('---'): a sweep file holds exactly one", (await Read<ErrorResponse>(two)).Details![0]);
    }

    [Fact]
    public async Task Deep_nesting_and_an_alias_key_bomb_get_400_in_under_a_second_and_the_silo_stays_up()
    {
        await using var h = await StartAsync();
        var deep = new string('[', 40_000) + new string(']', 40_000);
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + string.Concat(Enumerable.Range(1, 9).Select(i =>
            $"{(char)('a' + i)}: &{(char)('a' + i)} [*{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}]\n")) + "? *j\n: 1\n";
        foreach (var (text, expected) in new[] { (deep, "nested more than 64 deep"), ("name: x\nmatrix: " + string.Concat(Enumerable.Repeat("{a: ", 20_000)), "nested more than 64 deep"), (bomb, "may not be a mapping key") })
        {
            foreach (var content in new HttpContent[] { JsonBody(new SubmitSweepRequest(text, "deep.yaml")), new StringContent(text, Encoding.UTF8, "application/yaml") })
            {
                var watch = Stopwatch.StartNew();
                var r = await h.Client.PostAsync("/api/v1/sweeps", content);
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), $"{watch.Elapsed}");
                Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
                Assert.Contains(expected, (await Read<ErrorResponse>(r)).Details![0]);
            }
        }
        Assert.Equal("ok", await h.Anonymous.GetStringAsync("/healthz"));
    }

    static readonly Regex Located = new(@"^(fuzz|sweep)\.yaml:\d+:\d+: \S");

    [Fact]
    public async Task Hundreds_of_generated_bad_inputs_each_get_a_4xx_with_a_message_within_a_second()
    {
        await using var h = await StartAsync();
        var problems = new List<string>();
        var sent = 0;
        async Task Check(string what, Func<Task<HttpResponseMessage>> send, Func<ErrorResponse, bool> explained)
        {
            sent++;
            var watch = Stopwatch.StartNew();
            HttpResponseMessage r;
            try { r = await send(); }
            catch (HttpRequestException e) { problems.Add($"connection failed ({e.Message}): {what}"); return; }
            var took = watch.Elapsed;
            if ((int)r.StatusCode is < 400 or >= 500) { problems.Add($"{(int)r.StatusCode}: {what}"); return; }
            var error = await Read<ErrorResponse>(r);
            if (!explained(error)) problems.Add($"unexplained '{error.Error}' / '{error.Details?.FirstOrDefault()}': {what}");
            if (took > TimeSpan.FromSeconds(1)) problems.Add($"{took.TotalSeconds:0.00} s: {what}");
        }

        var i = 0;
        foreach (var (name, yaml) in BadSweeps.All())
        {
            var what = BadSweeps.Describe(name, yaml);
            // alternately as the JSON envelope and as a raw YAML body
            if (i++ % 2 == 0)
                await Check(what, () => h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(yaml, "fuzz.yaml"))), e => e.Details is [var d, ..] && Located.IsMatch(d));
            else
                await Check(what, () => h.Client.PostAsync("/api/v1/sweeps", new StringContent(yaml, Encoding.UTF8, "application/yaml")), e => e.Details is [var d, ..] && Located.IsMatch(d));
        }

        // Trainer reports: values no metric may take, in each field; and hosts with odd devices.
        var l = await OneLease(h);
        string[] metricFields = ["map50", "map50_95", "precision", "recall", "fitness", "gflops", "latency_ms", "train_seconds", "images_per_second"];
        string[] badNumbers = ["\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "1e308", "-1"];
        foreach (var f in metricFields)
            foreach (var v in badNumbers)
                await Check($"complete {f}={v}", () => h.Trainer.PostAsync($"/api/v1/leases/{l.TrialId}/complete",
                    Raw($$$"""{"fencing_token": {{{l.FencingToken}}}, "metrics": {"{{{f}}}": {{{v}}}}}""")), e => e.Error.Contains($"'metrics.{f}'"));
        foreach (var f in new[] { "map50", "map50_95", "fitness", "lr" })
            foreach (var v in badNumbers)
                await Check($"epoch {f}={v}", () => h.Trainer.PostAsync($"/api/v1/leases/{l.TrialId}/epoch",
                    Raw($$$"""{"fencing_token": {{{l.FencingToken}}}, "epoch": {"epoch": 1, "{{{f}}}": {{{v}}}}}""")), e => e.Error.Contains($"'epoch.{f}'"));
        foreach (var v in badNumbers.Where(v => v != "-1")) // a loss may be any finite number
            await Check($"epoch loss={v}", () => h.Trainer.PostAsync($"/api/v1/leases/{l.TrialId}/epoch",
                Raw($$$"""{"fencing_token": {{{l.FencingToken}}}, "epoch": {"epoch": 1, "losses": {"box": {{{v}}}} } }""")), e => e.Error.Contains("'epoch.losses.box'"));
        foreach (var literal in new[] { "NaN", "Infinity", "-Infinity", "nan", "1e999" })
            await Check($"complete literal {literal}", () => h.Trainer.PostAsync($"/api/v1/leases/{l.TrialId}/complete",
                Raw($$$"""{"fencing_token": {{{l.FencingToken}}}, "metrics": {"map50": {{{literal}}}}}""")), e => e.Error.StartsWith("malformed JSON body at line 1") || e.Error.Contains("'metrics.map50'"));
        foreach (var devices in new[] { "[null]", "[null, null]", "[1]", "[\"x\"]", "[{\"memory_mb\": -1}]", "[[]]", "{}", "[{\"name\": {}}]" })
            await Check($"host devices {devices}", () => h.Trainer.PostAsync("/api/v1/hosts", Raw($$$"""{"host_id": "h", "devices": {{{devices}}}}""")),
                e => e.Error.Contains("devices") || e.Error.StartsWith("malformed JSON body"));

        // Random edits of a valid sweep: any answer but a 5xx, within a second.
        foreach (var yaml in BadSweeps.Mutations(60))
        {
            var watch = Stopwatch.StartNew();
            var r = await h.Client.PostAsync("/api/v1/sweeps", JsonBody(new SubmitSweepRequest(yaml, "fuzz.yaml")));
            if ((int)r.StatusCode >= 500 || watch.Elapsed > TimeSpan.FromSeconds(1)) problems.Add($"{(int)r.StatusCode} {watch.Elapsed}: {BadSweeps.Describe("mutation", yaml)}");
        }

        Assert.True(sent >= 300, $"{sent} bad inputs sent");
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Equal("ok", await h.Anonymous.GetStringAsync("/healthz"));
    }
}
