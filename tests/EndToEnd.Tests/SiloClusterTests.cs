using System.Text.Json;
using Xunit.Abstractions;
using YoloSweep.Contracts.Api;
using YoloSweep.Testing;

namespace YoloSweep.EndToEnd.Tests;

/// <summary>
/// Two silos on one PostgreSQL database (an Orleans cluster whose membership lives in that database), two trainer
/// hosts and the CLI, all real processes. Silos and trainers are killed with SIGKILL or restarted one at a time mid-sweep:
/// every trial must end with exactly one result, every epoch recorded once, no worker left behind.
/// </summary>
[Collection("postgres")]
public sealed class SiloClusterTests(PostgresFixture pg, ITestOutputHelper output)
{
    static string Sweep(string name, int seeds, int epochs, double secondsPerEpoch) => $"""
        name: {name}
        train: {"{"} epochs: {epochs}, simulate: {"{"} seconds_per_epoch: {secondsPerEpoch.ToString(System.Globalization.CultureInfo.InvariantCulture)} {"}"} {"}"}
        matrix: {"{"} model: [yolov5, yolov8], scale: n {"}"}
        seeds: [{string.Join(", ", Enumerable.Range(0, seeds))}]
        retry: {"{"} max_attempts: 5, backoff_seconds: 0 {"}"}
        """;

    /// <summary>Every trial succeeded once, with its epochs 1..N each recorded once.</summary>
    static async Task AssertExactlyOnce(Cluster cluster, List<TrialView> trials, int epochs)
    {
        Assert.All(trials, t => Assert.Equal("succeeded", t.State));
        foreach (var t in trials)
        {
            var events = await cluster.EventsAsync(t.Id);
            Assert.Single(events, e => e.Kind == "succeeded");
            var succeeded = events.Single(e => e.Kind == "succeeded");
            Assert.Equal(events.Where(e => e.Kind == "leased").Max(e => e.Token), succeeded.Token); // the newest lease won
            var got = (await cluster.EpochsAsync(t.Id)).Select(e => e.Epoch).ToList();
            if (!got.SequenceEqual(Enumerable.Range(1, epochs)))
            {
                var logs = string.Join("\n", Directory.GetFiles(cluster.Dir, "trainer-*.log").SelectMany(f => File.ReadAllLines(f).Where(l => l.Contains(t.Id) || l.Contains("WRN") || l.Contains("ERR")).Take(40)));
                Assert.Fail($"trial {t.Id}: epochs [{string.Join(",", got)}]\nevents:\n{string.Join("\n", events)}\ntrainer logs:\n{logs}");
            }
        }
    }

    /// <summary>The second silo of a cluster, on HTTP and silo ports it keeps across restarts (a pod restarted).</summary>
    sealed class Replica(Cluster cluster, string db)
    {
        readonly int _port = PostgresServer.FreePort(), _siloPort = PostgresServer.FreePort();
        public string Url => $"http://127.0.0.1:{_port}";
        public CliProcess Process { get; private set; } = null!;
        public async Task StartAsync() => Process = (await cluster.StartReplicaProcessAsync(db, port: _port, siloPort: _siloPort)).Process;
    }

    /// <summary>Two silos on a fresh PostgreSQL database: the cluster's own and a <see cref="Replica"/>.</summary>
    async Task<(Cluster Cluster, string Db, Replica Second)> StartTwoSilosAsync(double leaseSeconds)
    {
        var db = pg.Server.Url(await pg.Server.CreateDatabaseAsync());
        var cluster = new Cluster();
        await cluster.StartSiloAsync(db, leaseSeconds);
        var second = new Replica(cluster, db);
        await second.StartAsync();
        return (cluster, db, second);
    }

    [Fact]
    public async Task Kill_9_of_a_silo_and_of_a_trainer_mid_sweep_leaves_every_trial_with_exactly_one_result()
    {
        var (cluster, db, replica) = await StartTwoSilosAsync(leaseSeconds: 3);
        await using var _ = cluster;
        var second = replica.Url;
        // Trainers know both silos (in Kubernetes the Service spreads them); each prefers a different one.
        var victim = cluster.StartTrainer("victim", "cpu:2", silo: $"{cluster.Url},{second}");
        cluster.StartTrainer("steady", "cpu:2", silo: $"{second},{cluster.Url}");
        var path = cluster.WriteSweep("chaos", Sweep("chaos", seeds: 6, epochs: 6, secondsPerEpoch: 0.25));
        Assert.Equal(0, (await cluster.CliAsync("submit", path)).Code);

        // Both trainers busy, then SIGKILL the second silo (the one the steady trainer talks to) and the victim trainer.
        await cluster.WaitForAsync("chaos", ts => ts.Count(t => t.State == "running") >= 3 && ts.Any(t => t.HostId?.StartsWith("victim") == true),
            TimeSpan.FromSeconds(90));
        replica.Process.KillHard();
        victim.KillHard();
        var killedAt = DateTime.UtcNow;
        cluster.StartTrainer("rescuer", "cpu:2", silo: $"{second},{cluster.Url}"); // a new host, its first silo dead
        await Task.Delay(2000);
        // The second silo comes back on its ports (a pod restarted).
        await replica.StartAsync();

        var trials = await cluster.WaitForAsync("chaos", ts => ts.All(t => t.State is "succeeded" or "failed"), TimeSpan.FromSeconds(180));
        output.WriteLine($"all final {(DateTime.UtcNow - killedAt).TotalSeconds:0.0} s after the kills");
        Assert.Equal(12, trials.Count);
        await AssertExactlyOnce(cluster, trials, epochs: 6);
        Assert.Contains(trials, t => t.Attempt > 1); // the victim's trials were re-leased and resumed
    }

    [Fact]
    public async Task A_rolling_restart_of_both_silos_one_at_a_time_during_a_sweep_loses_and_doubles_nothing()
    {
        var (cluster, db, replica) = await StartTwoSilosAsync(leaseSeconds: 5);
        await using var _ = cluster;
        var second = replica.Url;
        cluster.StartTrainer("a", "cpu:2", silo: $"{cluster.Url},{second}");
        cluster.StartTrainer("b", "cpu:2", silo: $"{second},{cluster.Url}");
        var path = cluster.WriteSweep("rolling", Sweep("rolling", seeds: 6, epochs: 5, secondsPerEpoch: 0.3));
        Assert.Equal(0, (await cluster.CliAsync("submit", path)).Code);
        await cluster.WaitForAsync("rolling", ts => ts.Count(t => t.State == "running") >= 3, TimeSpan.FromSeconds(90));

        // SIGTERM (what Kubernetes sends) to the first silo, then start it again; then the same for the second.
        cluster.Silo!.Terminate();
        Assert.Equal(0, await cluster.Silo.WaitAsync(TimeSpan.FromSeconds(40)));
        await cluster.StartSiloAsync(db, leaseSeconds: null); // a restarted silo adopts the cluster's lease
        replica.Process.Terminate();
        Assert.Equal(0, await replica.Process.WaitAsync(TimeSpan.FromSeconds(40)));
        await replica.StartAsync();

        var trials = await cluster.WaitForAsync("rolling", ts => ts.All(t => t.State is "succeeded" or "failed"), TimeSpan.FromSeconds(180));
        Assert.Equal(12, trials.Count);
        await AssertExactlyOnce(cluster, trials, epochs: 5);
        var lb = await cluster.CliAsync("leaderboard", "--sweep", "rolling", "--format", "json");
        Assert.All(JsonDocument.Parse(lb.Out).RootElement.EnumerateArray(), r => Assert.Equal(6, r.GetProperty("seeds").GetInt32()));
    }

    [Fact]
    public async Task A_silo_started_with_another_lease_than_the_clusters_refuses_to_start()
    {
        var db = pg.Server.Url(await pg.Server.CreateDatabaseAsync());
        await using var cluster = new Cluster();
        await cluster.StartSiloAsync(db, leaseSeconds: 3);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => cluster.StartReplicaAsync(db, leaseSeconds: 30));
        Assert.Contains("this cluster's lease is 3 s", e.Message);
    }

    /// <summary>The chaos run: 36 trials on two silos and three trainer hosts; one process at a time is killed with
    /// SIGKILL — 18 trainers (each replaced by a new one) and, at every sixth kill, a silo (restarted on its ports) —
    /// while the sweep runs. Every trial succeeds once with every epoch once, and no killed trainer leaves a worker.</summary>
    [Fact]
    public async Task A_chaos_run_of_18_trainer_and_3_silo_kills_ends_with_every_trial_succeeded_once_and_no_orphan()
    {
        var (cluster, db, replica) = await StartTwoSilosAsync(leaseSeconds: 3);
        await using var _ = cluster;
        var second = replica.Url;
        var silos = new[] { $"{cluster.Url},{second}", $"{second},{cluster.Url}" };
        var trainers = Enumerable.Range(0, 3).Select(i => cluster.StartTrainer($"t{i}", "cpu:2", silo: silos[i % 2])).ToList();
        var path = cluster.WriteSweep("chaos36", Sweep("chaos36", seeds: 18, epochs: 4, secondsPerEpoch: 0.3));
        Assert.Equal(0, (await cluster.CliAsync("submit", path)).Code);
        await cluster.WaitForAsync("chaos36", ts => ts.Any(t => t.State == "running"), TimeSpan.FromSeconds(90));

        var random = new Random(36);
        var orphans = new List<string>();
        for (var kill = 1; kill <= 18; kill++)
        {
            var victim = trainers[random.Next(trainers.Count)];
            var workers = ChildrenOf(victim.Id);
            victim.KillHard();
            trainers.Remove(victim);
            trainers.Add(cluster.StartTrainer($"r{kill}", "cpu:2", silo: silos[kill % 2]));
            // A worker notices its host is gone (its stdin closes) and stops itself.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (workers.Any(Alive) && DateTime.UtcNow < deadline) await Task.Delay(100);
            orphans.AddRange(workers.Where(Alive).Select(w => $"worker {w} of killed trainer {victim.Id}"));
            if (kill % 6 == 0)
            {
                // One silo at a time: the first, then the second, then the first again; each back on its ports 2 s later.
                if (kill == 12) { replica.Process.KillHard(); await Task.Delay(2000); await replica.StartAsync(); }
                else { cluster.Silo!.KillHard(); await Task.Delay(2000); await cluster.StartSiloAsync(db, leaseSeconds: null); }
            }
            await Task.Delay(700);
        }

        var trials = await cluster.WaitForAsync("chaos36", ts => ts.All(t => t.State is "succeeded" or "failed"), TimeSpan.FromSeconds(300));
        Assert.Empty(orphans);
        Assert.Equal(36, trials.Count);
        await AssertExactlyOnce(cluster, trials, epochs: 4);
        var lb = await cluster.CliAsync("leaderboard", "--sweep", "chaos36", "--format", "json");
        Assert.All(JsonDocument.Parse(lb.Out).RootElement.EnumerateArray(), r => Assert.Equal(18, r.GetProperty("seeds").GetInt32()));
        output.WriteLine($"attempts: {string.Join(" ", trials.GroupBy(t => t.Attempt).OrderBy(g => g.Key).Select(g => $"{g.Key}:{g.Count()}"))}");
    }

    /// <summary>The processes whose parent is <paramref name="pid"/> (from /proc: field 4 of stat is the parent).</summary>
    static List<int> ChildrenOf(int pid) =>
        [.. Directory.GetDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit)).Select(int.Parse!).Where(p =>
        {
            try { var stat = File.ReadAllText($"/proc/{p}/stat"); return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == pid.ToString(); }
            catch (IOException) { return false; }
        })];

    static bool Alive(int pid)
    {
        try { var stat = File.ReadAllText($"/proc/{pid}/stat"); return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z'; }
        catch (IOException) { return false; }
    }
}
