using System.Text.Json;
using YoloSweep.Testing;

namespace YoloSweep.EndToEnd.Tests;

/// <summary>A Silo, two trainer hosts and the CLI as separate processes; hosts killed with SIGKILL; a Silo restarted on PostgreSQL.</summary>
[Collection("postgres")]
public sealed class ClusterTests(PostgresFixture pg)
{
    static string Sweep(string name, int seeds, int epochs, double secondsPerEpoch, string models = "[yolov5, yolov8-dsconv]", string knobs = "{ dsconv.block_size: [8, 32] }") => $"""
        name: {name}
        train: {"{"} epochs: {epochs}, simulate: {"{"} seconds_per_epoch: {secondsPerEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture)} {"}"} {"}"}
        matrix: {"{"} model: {models}, scale: n, knobs: {knobs} {"}"}
        seeds: [{string.Join(", ", Enumerable.Range(0, seeds))}]
        retry: {"{"} max_attempts: 3, backoff_seconds: 0 {"}"}
        """;

    [Fact]
    public async Task Two_trainers_and_the_cli_run_a_sweep_to_completion()
    {
        await using var cluster = new Cluster();
        await cluster.StartSiloAsync(Path.Combine(cluster.Dir, "silo.db"));
        cluster.StartTrainer("alpha", "cpu:2");
        cluster.StartTrainer("beta", "cpu:2");
        var path = cluster.WriteSweep("two", Sweep("two", seeds: 3, epochs: 3, secondsPerEpoch: 0.1));

        var (code, stdout, stderr) = await cluster.CliAsync("submit", path, "--wait", "--format", "json");
        Assert.True(code == 0, stderr);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(3, rows.Count); // yolov5, dsconv B=8, dsconv B=32
        Assert.All(rows, r => Assert.Equal(3, r.GetProperty("seeds").GetInt32()));

        var trials = await cluster.TrialsAsync("two");
        Assert.Equal(9, trials.Count);
        Assert.All(trials, t => Assert.Equal("succeeded", t.State));
        Assert.Equal(2, trials.Select(t => t.HostId!.Split('-')[0]).Distinct().Count()); // both hosts worked
        foreach (var t in trials)
            Assert.Single(await cluster.EventsAsync(t.Id), e => e.Kind == "succeeded");

        // The other client commands against the live cluster.
        var list = await cluster.CliAsync("sweeps", "list", "--format", "json");
        Assert.Equal("done", JsonDocument.Parse(list.Out).RootElement[0].GetProperty("status").GetString());
        var csv = await cluster.CliAsync("trials", "--sweep", "two", "--format", "csv");
        Assert.Equal(10, csv.Out.Trim().Split('\n').Length);
        var md = await cluster.CliAsync("leaderboard", "--sweep", "two", "--format", "md");
        Assert.Contains("| yolov8-dsconv |", md.Out);
        var resubmit = await cluster.CliAsync("submit", path);
        Assert.Equal(0, resubmit.Code);
        Assert.Contains("already submitted", resubmit.Err);
        Assert.Equal(9, (await cluster.TrialsAsync("two")).Count);

        // A trainer token may not cancel a sweep.
        var forbidden = await CliProcess.RunAsync(cluster.Dir, ["sweeps", "cancel", "two", "--silo", cluster.Url], new Dictionary<string, string?> { ["YOLOSWEEP_TOKEN"] = Cluster.TrainerToken });
        Assert.Equal(1, forbidden.Code);
        Assert.Contains("403", forbidden.Err);
    }

    [Fact]
    public async Task A_trainer_killed_mid_trial_loses_its_lease_and_the_trial_resumes_elsewhere_and_completes_once()
    {
        await using var cluster = new Cluster();
        await cluster.StartSiloAsync(Path.Combine(cluster.Dir, "silo.db"), leaseSeconds: 2);
        var victim = cluster.StartTrainer("victim");
        var survivor = cluster.StartTrainer("survivor");
        var path = cluster.WriteSweep("kill", Sweep("kill", seeds: 1, epochs: 12, secondsPerEpoch: 0.3, models: "[yolov5, yolov8]", knobs: "{}"));
        Assert.Equal(0, (await cluster.CliAsync("submit", path)).Code);

        // Wait until the victim's trial has checkpointed a few epochs, then SIGKILL the host (not its child).
        var running = await cluster.WaitForAsync("kill", ts => ts.Any(t => t.HostId?.StartsWith("victim") == true && t.EpochsDone >= 3), TimeSpan.FromSeconds(60));
        var doomed = running.Single(t => t.HostId!.StartsWith("victim"));
        var orphans = ProcessesMentioning(doomed.Id);
        Assert.NotEmpty(orphans); // the victim's yolosweep-worker child
        victim.KillHard();
        // With its parent gone the child must stop by itself (stdin closes), not keep writing the shared checkpoint.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (orphans.Any(Alive) && DateTime.UtcNow < deadline) await Task.Delay(50);
        Assert.DoesNotContain(orphans, Alive);

        var done = await cluster.WaitForAsync("kill", ts => ts.All(t => t.State == "succeeded"), TimeSpan.FromSeconds(90));
        var trial = done.Single(t => t.Id == doomed.Id);
        Assert.StartsWith("survivor", trial.HostId);
        Assert.Equal($"checkpoints/kill/{trial.Id}", trial.Artifacts);
        Assert.True(File.Exists(Path.Combine(cluster.Shared, trial.Artifacts!, "metrics.json")));
        Assert.Equal(2, trial.Attempt);
        Assert.True(trial.StartEpoch > 3, $"expected a resume past epoch 3, started at {trial.StartEpoch}");
        var events = await cluster.EventsAsync(trial.Id);
        Assert.Equal(2, events.Count(e => e.Kind == "leased"));
        Assert.Single(events, e => e.Kind == "retry" && e.Detail!.Contains("lease expired"));
        var succeeded = Assert.Single(events, e => e.Kind == "succeeded");
        Assert.Equal(events.Where(e => e.Kind == "leased").Max(e => e.Token), succeeded.Token);
        Assert.Equal(Enumerable.Range(1, 12), (await cluster.EpochsAsync(trial.Id)).Select(e => e.Epoch)); // every epoch once
        Assert.False(survivor.HasExited);
    }

    [Fact]
    public async Task Two_silo_replicas_on_one_postgresql_database_share_a_sweep_without_duplicates()
    {
        var db = pg.Server.Url(await pg.Server.CreateDatabaseAsync());
        await using var cluster = new Cluster();
        await cluster.StartSiloAsync(db);
        var replica = await cluster.StartReplicaAsync(db);
        cluster.StartTrainer("via-first", "cpu:3");
        cluster.StartTrainer("via-second", "cpu:3", silo: replica);
        var path = cluster.WriteSweep("replicas", Sweep("replicas", seeds: 6, epochs: 2, secondsPerEpoch: 0.1));
        Assert.Equal(0, (await cluster.CliAsync("submit", path)).Code);

        var trials = await cluster.WaitForAsync("replicas", ts => ts.All(t => t.State == "succeeded"), TimeSpan.FromSeconds(120));
        Assert.Equal(18, trials.Count);
        // Host ids are NAME-PID-RANDOM: both hosts, each talking to its own replica, ran trials.
        Assert.Equal(["first", "second"], trials.Select(t => t.HostId!.Split('-')[1]).Distinct().Order());
        foreach (var t in trials)
        {
            var events = await cluster.EventsAsync(t.Id);
            Assert.Single(events, e => e.Kind == "leased");
            Assert.Single(events, e => e.Kind == "succeeded");
        }
    }

    [Fact]
    public async Task A_silo_restarted_mid_sweep_on_postgresql_loses_and_doubles_nothing()
    {
        var db = pg.Server.Url(await pg.Server.CreateDatabaseAsync());
        await using var cluster = new Cluster();
        await cluster.StartSiloAsync(db, leaseSeconds: 5);
        cluster.StartTrainer("one", "cpu:2");
        cluster.StartTrainer("two", "cpu:2");
        var path = cluster.WriteSweep("restart", Sweep("restart", seeds: 4, epochs: 4, secondsPerEpoch: 0.25));
        Assert.Equal(0, (await cluster.CliAsync("submit", path)).Code);

        await cluster.WaitForAsync("restart", ts => ts.Count(t => t.State == "succeeded") >= 3 && ts.Any(t => t.State == "running"), TimeSpan.FromSeconds(60));
        cluster.Silo!.KillHard();
        await Task.Delay(1500); // trainers keep training, their reports wait for the Silo
        await cluster.StartSiloAsync(db, leaseSeconds: 5);

        var trials = await cluster.WaitForAsync("restart", ts => ts.All(t => t.State is "succeeded" or "failed"), TimeSpan.FromSeconds(120));
        Assert.Equal(12, trials.Count);
        Assert.All(trials, t => Assert.Equal("succeeded", t.State));
        foreach (var t in trials)
        {
            Assert.Single(await cluster.EventsAsync(t.Id), e => e.Kind == "succeeded");
            Assert.Equal(Enumerable.Range(1, 4), (await cluster.EpochsAsync(t.Id)).Select(e => e.Epoch));
        }
        var lb = await cluster.CliAsync("leaderboard", "--sweep", "restart", "--format", "json");
        Assert.All(JsonDocument.Parse(lb.Out).RootElement.EnumerateArray(), r => Assert.Equal(4, r.GetProperty("seeds").GetInt32()));
    }

    /// <summary>Process ids whose command line mentions <paramref name="text"/> (Linux /proc).</summary>
    static List<int> ProcessesMentioning(string text) =>
        Directory.GetDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : -1)
            .Where(pid => pid > 0)
            .Where(pid => { try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains(text); } catch (IOException) { return false; } catch (UnauthorizedAccessException) { return false; } })
            .ToList();

    static bool Alive(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat").Split(' ') is not [_, _, "Z", ..]; } // a zombie has exited
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
