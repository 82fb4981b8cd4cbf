using System.Text.Json;
using YoloSweep.Testing;

namespace YoloSweep.Client.Tests;

/// <summary>The CLI as a user runs it: real processes, embedded Silo + trainer, trials in child processes.</summary>
public sealed class CliTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("yolosweep-cli-").FullName;

    string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    const string Small = """
        name: small
        train: { epochs: 2, simulate: { seconds_per_epoch: 0.05 } }
        matrix: { model: [yolov5, yolov5-c3faster], scale: n, knobs: { pconv.n_div: [2, 4] } }
        seeds: [0, 1]
        """;

    [Fact]
    public async Task Run_executes_a_sweep_embedded_and_prints_the_leaderboard_as_json()
    {
        Write("small.yaml", Small);
        var (code, stdout, stderr) = await CliProcess.RunAsync(_dir, ["run", "small.yaml", "--devices", "cpu:2", "--format", "json"]);
        Assert.True(code == 0, stderr);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, r => Assert.Equal(2, r.GetProperty("seeds").GetInt32()));
        Assert.Equal([1, 2, 3], rows.Select(r => r.GetProperty("rank").GetInt32()));
        var baseline = rows.Single(r => r.GetProperty("model").GetString() == "yolov5");
        // A baseline has no Δ (null, not absent); a variant's Δ is paired by seed, with its interval, p and verdict.
        Assert.Equal(JsonValueKind.Null, baseline.GetProperty("delta_map50_95").ValueKind);
        Assert.Equal(JsonValueKind.Null, baseline.GetProperty("verdict").ValueKind);
        foreach (var variant in rows.Where(r => r.GetProperty("model").GetString() != "yolov5"))
        {
            var d = variant.GetProperty("delta_map50_95");
            Assert.True(d.GetProperty("paired").GetBoolean());
            Assert.Equal(2, d.GetProperty("n").GetInt32());
            Assert.True(d.GetProperty("ci_low").GetDouble() <= d.GetProperty("mean").GetDouble());
            Assert.InRange(d.GetProperty("p_value").GetDouble(), 0, 1);
            Assert.Contains(variant.GetProperty("verdict").GetString(), new[] { "better", "worse", "no_evidence" });
            Assert.Equal(JsonValueKind.Object, variant.GetProperty("delta_map50").ValueKind);
            Assert.Equal(0, variant.GetProperty("failed_seeds").GetInt32());
        }
        Assert.Contains("small: 6 trials", stderr); // the human part goes to stderr, stdout is pure JSON
        Assert.True(File.Exists(Path.Combine(_dir, "runs", "small", "yolosweep.db")));
        Assert.Equal(6, Directory.GetFiles(Path.Combine(_dir, "runs", "shared", "checkpoints", "small"), "metrics.json", SearchOption.AllDirectories).Length);

        // The results stay readable without a Silo, in every format.
        var (csvCode, csv, _) = await CliProcess.RunAsync(_dir, ["leaderboard", "--db", "runs/small/yolosweep.db", "--sweep", "small", "--format", "csv"]);
        Assert.Equal(0, csvCode);
        var lines = csv.Trim().Split('\n');
        Assert.StartsWith("rank,sweeps,model,scale,knobs,seeds,failed_seeds,map50_95_mean,map50_95_std,map50_95_ci_low", lines[0]);
        Assert.Equal(4, lines.Length);
        var (mdCode, md, _) = await CliProcess.RunAsync(_dir, ["leaderboard", "--db", "runs/small/yolosweep.db", "--format", "md", "--group-by", "model", "--top", "1"]);
        Assert.Equal(0, mdCode);
        Assert.Equal(3, md.Trim().Split('\n').Length); // header, rule, one row
        Assert.StartsWith("| # | model |", md);

        // In the folder the run was started in, --sweep NAME alone reads runs/NAME/yolosweep.db: no Silo, no token.
        var (localCode, local, localErr) = await CliProcess.RunAsync(_dir, ["leaderboard", "--sweep", "small", "--format", "json"]);
        Assert.True(localCode == 0, localErr);
        Assert.Equal(stdout, local);
        var (trialsCode, trialsJson, trialsErr) = await CliProcess.RunAsync(_dir, ["trials", "--sweep", "small", "--format", "json"]);
        Assert.True(trialsCode == 0, trialsErr);
        var trials = JsonDocument.Parse(trialsJson).RootElement.EnumerateArray().ToList();
        Assert.Equal(6, trials.Count);
        Assert.All(trials, t => Assert.Equal("succeeded", t.GetProperty("state").GetString()));
        Assert.Equal([0, 0, 0, 1, 1, 1], trials.Select(t => t.GetProperty("seed").GetInt32()).Order());
        Assert.All(trials, t => Assert.InRange(t.GetProperty("map50_95").GetDouble(), 0, 1));
        var (showCode, show, showErr) = await CliProcess.RunAsync(_dir, ["sweeps", "show", "small"]);
        Assert.True(showCode == 0, showErr);
        Assert.Contains("seeds: [0, 1]", show);
        var (listCode, list, _) = await CliProcess.RunAsync(_dir, ["sweeps", "list", "--db", "runs/small/yolosweep.db", "--format", "json"]);
        Assert.Equal(0, listCode);
        Assert.Equal("done", JsonDocument.Parse(list).RootElement[0].GetProperty("status").GetString());
        var (missingCode, _, missingErr) = await CliProcess.RunAsync(_dir, ["leaderboard", "--db", "runs/small/yolosweep.db", "--sweep", "nope"]);
        Assert.Equal(1, missingCode);
        Assert.Contains("no sweep named 'nope'", missingErr);

        // The ablation report, from the same database: markdown with its figures beside it, or one HTML file.
        var (mdReport, _, mdReportErr) = await CliProcess.RunAsync(_dir, ["report", "--sweep", "small", "--out", "out/report.md"]);
        Assert.True(mdReport == 0, mdReportErr);
        var report = File.ReadAllText(Path.Combine(_dir, "out", "report.md"));
        foreach (var section in new[] { "## Answer", "## Leaderboard", "## Knob effects", "## Accuracy against cost", "## Training curves", "## Failed trials", "## Sweep file" })
            Assert.Contains(section, report);
        Assert.Contains("vs yolov5 n: Δ mAP50-95", report);
        Assert.Contains("seeds: [0, 1]", report); // the sweep file itself
        var figures = Directory.GetFiles(Path.Combine(_dir, "out", "report_files"), "*.png");
        Assert.Contains(figures, f => f.EndsWith("pareto-gflops.png"));
        Assert.Contains(figures, f => f.EndsWith("curves-map50-95.png"));
        Assert.All(figures, f => Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(f)[..4]));
        Assert.All(figures, f => Assert.Contains($"report_files/{Path.GetFileName(f)}", report));
        var (htmlReport, _, htmlErr) = await CliProcess.RunAsync(_dir, ["report", "--sweep", "small", "--out", "out/report.html"]);
        Assert.True(htmlReport == 0, htmlErr);
        var html = File.ReadAllText(Path.Combine(_dir, "out", "report.html"));
        Assert.Equal(figures.Length, System.Text.RegularExpressions.Regex.Matches(html, "src=\"data:image/png;base64,").Count);
        var (badExt, _, badExtErr) = await CliProcess.RunAsync(_dir, ["report", "--sweep", "small", "--out", "out/report.pdf"]);
        Assert.Equal(1, badExt);
        Assert.Contains("--out must end in .md or .html", badExtErr);

        // Running the same sweep again resumes it: nothing reruns, the same leaderboard comes out.
        var (again, stdout2, _) = await CliProcess.RunAsync(_dir, ["run", "small.yaml", "--format", "json"]);
        Assert.Equal(0, again);
        Assert.Equal(stdout, stdout2);
    }

    [Fact]
    public async Task A_bad_sweep_file_fails_with_line_and_column_and_no_stack_trace()
    {
        Write("bad.yaml", "name: bad\nmatrix:\n  model: [yolov5, yolov6]\n  knobs: { pconv.n_div: [2] }\n");
        var (code, stdout, stderr) = await CliProcess.RunAsync(_dir, ["run", "bad.yaml"]);
        Assert.Equal(1, code);
        Assert.Contains("bad.yaml:3:19: unknown model 'yolov6'", stderr);
        Assert.Contains("bad.yaml:4:12: knob 'pconv.n_div' does not apply", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Empty(stdout);

        Write("big.yaml", "name: big\ntrain: { simulate: { seconds_per_epoch: 0 } }\nmatrix: { model: yolov5 }\nresources: { gpus: 4 }\n");
        var tooBig = await CliProcess.RunAsync(_dir, ["run", "big.yaml", "--devices", "cpu:2"]);
        Assert.Equal(1, tooBig.Code);
        Assert.Contains("needs 4 devices (resources.gpus) but this machine offers 2", tooBig.Err);

        var missing = await CliProcess.RunAsync(_dir, ["run", "nope.yaml"]);
        Assert.Equal(1, missing.Code);
        Assert.Contains("sweep file not found: nope.yaml", missing.Err);
    }

    [Fact]
    public async Task Trials_that_keep_crashing_fail_after_max_attempts_and_the_run_says_so()
    {
        Write("crash.yaml", "name: crash\ntrain: { epochs: 3, simulate: { seconds_per_epoch: 0.02, fail_at_epoch: 2 } }\nmatrix: { model: yolov8 }\nretry: { max_attempts: 2, backoff_seconds: 0 }\n");
        var (code, stdout, stderr) = await CliProcess.RunAsync(_dir, ["run", "crash.yaml"]);
        Assert.Equal(1, code);
        Assert.Contains("1 trial(s) failed", stdout + stderr);
        Assert.Contains("simulated crash at epoch 2", stdout + stderr);
        // a transient failure (the trial process died) is retried: it failed only when its attempts ran out
        await using var db = Grains.Storage.Database.Open(Path.Combine(_dir, "runs", "crash", "yolosweep.db"));
        var trial = Assert.Single(await new Grains.Queries.ReadModel(db).ListTrialsAsync(new Grains.Queries.TrialQuery("crash")));
        Assert.Equal(Contracts.Trials.TrialState.Failed, trial.State);
        Assert.Equal(2, trial.Attempt);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task Real_training_on_a_missing_dataset_is_refused_before_any_trial_starts()
    {
        // Issue 11 item 17: the data path is checked when the sweep is read, not by each of its trials.
        Write("real.yaml", "name: real\ndata: data/missing/missing.yaml\ntrain: { epochs: 1 }\nmatrix: { model: yolov5 }\nretry: { max_attempts: 3, backoff_seconds: 0 }\n");
        var (code, stdout, stderr) = await CliProcess.RunAsync(_dir, ["run", "real.yaml"]);
        Assert.Equal(1, code);
        Assert.Contains($"real.yaml:2:7: data 'data/missing/missing.yaml' is not found in the shared folder ({Path.Combine(_dir, "runs", "shared")})", stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "runs", "real", "yolosweep.db")));
    }

    [Fact]
    public async Task A_dataset_whose_images_are_missing_fails_its_trial_once_without_retries()
    {
        // It passes the pre-flight (the YAML is there and complete); the trainer finds no images: a setup error.
        Directory.CreateDirectory(Path.Combine(_dir, "runs", "shared", "data"));
        File.WriteAllText(Path.Combine(_dir, "runs", "shared", "data", "empty.yaml"), "path: .\ntrain: images/train\nval: images/val\nnames: [a]\n");
        Write("real.yaml", "name: real\ndata: data/empty.yaml\ntrain: { epochs: 1, imgsz: 64 }\nmatrix: { model: yolov5 }\nretry: { max_attempts: 3, backoff_seconds: 0 }\n");
        var (code, stdout, stderr) = await CliProcess.RunAsync(_dir, ["run", "real.yaml"]);
        Assert.Equal(1, code);
        await using var db = Grains.Storage.Database.Open(Path.Combine(_dir, "runs", "real", "yolosweep.db"));
        var trial = Assert.Single(await new Grains.Queries.ReadModel(db).ListTrialsAsync(new Grains.Queries.TrialQuery("real")));
        Assert.Equal(Contracts.Trials.TrialState.Failed, trial.State);
        Assert.Equal(1, trial.Attempt); // a setup error is not retried
        Assert.Contains("images", trial.Error);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    [Fact]
    public async Task A_sweep_file_over_one_mib_is_a_local_error_and_seven_million_seeds_are_refused_fast()
    {
        // Issue 11 item 10: the CLI refuses it itself instead of reporting "cannot reach the Silo" mid-upload.
        var big = Write("big.yaml", "name: big\nmatrix: { model: yolov5 }\nseeds: [" + string.Join(",", Enumerable.Range(0, 7_000_000)) + "]\n");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (code, _, stderr) = await CliProcess.RunAsync(_dir, ["submit", "big.yaml", "--silo", "http://127.0.0.1:9"], new Dictionary<string, string?> { ["YOLOSWEEP_TOKEN"] = "t" });
        Assert.Equal(1, code);
        Assert.Contains($"big.yaml: the sweep file is {new FileInfo(big).Length} bytes, more than the limit of 1048576 bytes (1 MiB)", stderr);
        Assert.DoesNotContain("cannot reach", stderr);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}"); // a process start, not a parse
    }

    [Fact]
    public async Task Client_commands_fail_clearly_without_a_token_or_a_reachable_silo()
    {
        var noToken = await CliProcess.RunAsync(_dir, ["sweeps", "list"]);
        Assert.Equal(1, noToken.Code);
        Assert.Contains("no token: set YOLOSWEEP_TOKEN", noToken.Err);

        Write("small.yaml", Small);
        var port = PostgresServer.FreePort();
        var unreachable = await CliProcess.RunAsync(_dir, ["submit", "small.yaml", "--silo", $"http://127.0.0.1:{port}"], new Dictionary<string, string?> { ["YOLOSWEEP_TOKEN"] = "t" });
        Assert.Equal(1, unreachable.Code);
        Assert.Contains($"cannot reach the Silo at http://127.0.0.1:{port}", unreachable.Err);
        Assert.DoesNotContain("   at ", unreachable.Err);

        var badOption = await CliProcess.RunAsync(_dir, ["leaderboard", "--format", "xml", "--token", "t"]);
        Assert.NotEqual(0, badOption.Code);
    }

    [Fact]
    public async Task Item1_a_deeply_nested_sweep_file_is_a_located_error_for_submit_and_run_not_a_crash()
    {
        // Issue 11 item 1: 40,000 '[' (or 20,000 '{a: ') used to overflow the CLI's stack (exit 134) before any request.
        Write("deep.yaml", new string('[', 40_000) + new string(']', 40_000) + "\n");
        Write("deep-map.yaml", "name: deep\nmatrix: " + string.Concat(Enumerable.Repeat("{a: ", 20_000)) + "\n");
        var env = new Dictionary<string, string?> { ["YOLOSWEEP_TOKEN"] = "t" };
        foreach (var (file, args) in new[] { ("deep.yaml", new[] { "submit", "deep.yaml", "--silo", "http://127.0.0.1:9" }), ("deep-map.yaml", new[] { "submit", "deep-map.yaml", "--silo", "http://127.0.0.1:9" }), ("deep.yaml", new[] { "run", "deep.yaml" }) })
        {
            var (code, _, stderr) = await CliProcess.RunAsync(_dir, args, env);
            Assert.True(code == 1, $"{string.Join(' ', args)}: exit {code}\n{stderr}");
            Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(file)}:\d+:\d+: lists and mappings nested more than 64 deep, the limit", stderr);
            Assert.DoesNotContain("cannot reach", stderr); // refused locally, before any request
            Assert.DoesNotContain("Stack overflow", stderr);
        }
        Assert.False(Directory.Exists(Path.Combine(_dir, "runs", "deep")));
    }

    [Fact]
    public async Task Item12_tokens_on_the_command_line_are_warned_about_and_one_character_tokens_are_refused()
    {
        // `ps` shows arguments to every user of the machine; a 1-character token is no password.
        var silo = await CliProcess.RunAsync(_dir, ["silo", "--client-token", "a", "--trainer-token", "b", "--db", Path.Combine(_dir, "s.db"), "--urls", "http://127.0.0.1:0"]);
        Assert.Equal(1, silo.Code);
        Assert.Contains("warning: --client-token shows the token to anyone who can run ps here; set YOLOSWEEP_CLIENT_TOKEN (or YOLOSWEEP_CLIENT_TOKEN_FILE) instead", silo.Err);
        Assert.Contains("warning: --trainer-token shows the token", silo.Err);
        Assert.Contains("the client token (YOLOSWEEP_CLIENT_TOKEN, --client-token-file) is 1 characters; use at least 16", silo.Err);
        Assert.DoesNotContain("   at ", silo.Err);

        var trainer = await CliProcess.RunAsync(_dir, ["trainer", "--token", "x", "--silo", "http://127.0.0.1:9"]);
        Assert.Equal(1, trainer.Code);
        Assert.Contains("warning: --token shows the token to anyone who can run ps here; set YOLOSWEEP_TRAINER_TOKEN", trainer.Err);
        Assert.Contains("is 1 characters; use at least 16", trainer.Err);

        // From a file (a mounted secret ends with a newline): no warning, the token trimmed before it is measured.
        var file = Write("short.token", "abc\n\n");
        var fromFile = await CliProcess.RunAsync(_dir, ["trainer", "--token-file", file, "--silo", "http://127.0.0.1:9"]);
        Assert.Equal(1, fromFile.Code);
        Assert.Contains("is 3 characters; use at least 16", fromFile.Err);
        Assert.DoesNotContain("warning:", fromFile.Err);
    }

    [Fact]
    public async Task Item15_gpu_indices_this_machine_lacks_are_refused_when_run_or_trainer_starts()
    {
        // Issue 11 item 15: `--devices 0,1` on a machine without a GPU used to start, and every trial then failed with
        // "cuda:0 is not available". The host refuses to start instead, before any trial is leased.
        var gpus = YoloSweep.Agent.Devices.CudaDeviceCount();
        var devices = $"{gpus},{gpus + 1}"; // indices past this machine's last device, whatever it has
        var expected = gpus == 0 ? "this machine has no CUDA device; use --devices cpu" : $"this machine has {gpus} CUDA device(s), indices 0..{gpus - 1}";
        Write("small.yaml", Small);
        var run = await CliProcess.RunAsync(_dir, ["run", "small.yaml", "--devices", devices]);
        Assert.Equal(1, run.Code);
        Assert.Contains($"devices '{devices}': {expected}", run.Err);
        Assert.False(File.Exists(Path.Combine(_dir, "runs", "small", "yolosweep.db")), "the run started trials");
        var trainer = await CliProcess.RunAsync(_dir, ["trainer", "--devices", devices, "--silo", "http://127.0.0.1:9"],
            new Dictionary<string, string?> { ["YOLOSWEEP_TRAINER_TOKEN"] = "trainer-token-0123456789" });
        Assert.Equal(1, trainer.Code);
        Assert.Contains($"devices '{devices}': {expected}", trainer.Err);
        Assert.DoesNotContain("Cannot register", trainer.Err + trainer.Out); // it never got as far as the Silo
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
