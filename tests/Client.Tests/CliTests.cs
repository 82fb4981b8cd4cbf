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

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
