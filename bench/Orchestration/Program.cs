using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Dapper;
using Npgsql;
using YoloSweep.Agent;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;
using YoloSweep.Silo;
using YoloSweep.Testing;

// Orchestration benchmarks. Usage (from the repository root):
//   dotnet run --project bench/Orchestration -c Release -- lease [sqlite|postgres] [N]
//   dotnet run --project bench/Orchestration -c Release -- sim [hosts] [devices] [trials] [seconds_per_trial]
//   dotnet run --project bench/Orchestration -c Release -- leaderboard [trials]
//   dotnet run --project bench/Orchestration -c Release -- scheduler [sqlite|postgres] [trials] [hosts]
//   dotnet run --project bench/Orchestration -c Release -- failover [leased] [rounds]
// Each prints markdown rows for BENCHMARKS.md. PostgreSQL runs on a throwaway local server (like the tests).
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var what = args.FirstOrDefault() ?? "all";
int Arg(int i, int d) => args.Length > i && int.TryParse(args[i], out var v) ? v : d;
double ArgD(int i, double d) => args.Length > i && double.TryParse(args[i], CultureInfo.InvariantCulture, out var v) ? v : d;

Console.WriteLine($"# {DateTime.UtcNow:yyyy-MM-dd} on {Environment.ProcessorCount} cores, {Bench.Machine()}");
await using var pg = what is "lease" or "scheduler" && args.ElementAtOrDefault(1) == "sqlite" ? null : await PostgresServer.StartAsync();
switch (what)
{
    case "lease": await Bench.LeaseRoundTrip(args.ElementAtOrDefault(1) ?? "both", pg, Arg(2, 2000)); break;
    case "sim": await Bench.Simulation(pg!, Arg(1, 200), Arg(2, 8), Arg(3, 5000), ArgD(4, 2.0)); break;
    case "leaderboard": await Bench.LeaderboardAt(pg!, Arg(1, 100_000)); break;
    case "scheduler": await Bench.Scheduler(args.ElementAtOrDefault(1) ?? "postgres", pg, Arg(2, 100_000), Arg(3, 64)); break;
    case "failover": await Bench.Failover(pg!, Arg(1, 40), Arg(2, 3)); break;
    default:
        await Bench.LeaseRoundTrip("both", pg, 2000);
        await Bench.Simulation(pg!, 200, 8, 5000, 2.0);
        await Bench.LeaderboardAt(pg!, 100_000);
        break;
}

static class Bench
{
    const string ClientToken = "bench-client-token-0123", TrainerToken = "bench-trainer-token-0123";

    public static string Machine()
    {
        var cpu = File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() : null;
        return cpu ?? "unknown CPU";
    }

    static string Pct(List<double> xs, double p)
    {
        xs.Sort();
        return xs.Count == 0 ? "-" : xs[Math.Min(xs.Count - 1, (int)Math.Ceiling(p * xs.Count) - 1)].ToString("0.00");
    }

    static HttpClient Http(string url, string token)
    {
        var h = new HttpClient { BaseAddress = new Uri(url) };
        h.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return h;
    }

    /// <summary>A sweep of at least <paramref name="n"/> trials: 4 models × 5 scales × their knob values (70 configurations) × seeds.</summary>
    static string Synthetic(string name, int n, double secondsPerEpoch, int epochs)
    {
        var seeds = (int)Math.Ceiling(n / 70.0);
        return $"name: {name}\ntrain: {{ epochs: {epochs}, simulate: {{ seconds_per_epoch: {secondsPerEpoch.ToString(CultureInfo.InvariantCulture)} }} }}\n" +
               "matrix:\n  model: [yolov5, yolov5-c3faster, yolov8, yolov8-dsconv]\n  scale: [n, s, m, l, x]\n" +
               "  knobs: { pconv.n_div: [1, 2, 3, 4, 5, 6, 7, 8], dsconv.block_size: [8, 16, 32, 64] }\n" +
               $"seeds: [{string.Join(",", Enumerable.Range(0, seeds))}]\nretry: {{ max_attempts: 3, backoff_seconds: 1 }}\n";
    }

    /// <summary>Acquire, renew and complete, one trial at a time, over loopback HTTP against a real Silo.</summary>
    public static async Task LeaseRoundTrip(string which, PostgresServer? pg, int n)
    {
        foreach (var db in which == "both" ? new[] { "sqlite", "postgres" } : [which])
        {
            var dir = Directory.CreateTempSubdirectory("ys-bench-").FullName;
            var dbValue = db == "sqlite" ? Path.Combine(dir, "bench.db") : pg!.Url(await pg.CreateDatabaseAsync());
            await using var silo = await SiloApp.StartAsync(new SiloOptions
            {
                Db = dbValue, ClientToken = ClientToken, TrainerToken = TrainerToken, Urls = "http://127.0.0.1:0", LogToConsole = false,
                SiloPort = 0,
            });
            await silo.Orchestrator.SubmitSweepAsync("lease-bench", Synthetic("lease-bench", n + 100, 0, 1), "bench.yaml");
            using var http = Http(silo.BaseUrl, TrainerToken);
            (await http.PostAsJsonAsync("/api/v1/hosts", new RegisterHostRequest("bench", "bench", [new DeviceView("gpu0")]), Json.Options)).EnsureSuccessStatusCode();
            var acquire = new List<double>(); var renew = new List<double>(); var complete = new List<double>();
            for (var i = 0; i < n + 50; i++)
            {
                var sw = Stopwatch.StartNew();
                var r = await http.PostAsJsonAsync("/api/v1/leases", new AcquireRequest("bench", 1, 1), Json.Options);
                var lease = (await r.Content.ReadFromJsonAsync<AcquireResponse>(Json.Options))!.Leases.Single();
                var tAcquire = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                (await http.PostAsJsonAsync($"/api/v1/leases/{lease.TrialId}/renew", new RenewRequest(lease.FencingToken), Json.Options)).EnsureSuccessStatusCode();
                var tRenew = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                (await http.PostAsJsonAsync($"/api/v1/leases/{lease.TrialId}/complete", new CompleteRequest(lease.FencingToken, new TrialMetrics { Map50_95 = 0.3 }), Json.Options)).EnsureSuccessStatusCode();
                var tComplete = sw.Elapsed.TotalMilliseconds;
                if (i < 50) continue; // warm-up
                acquire.Add(tAcquire); renew.Add(tRenew); complete.Add(tComplete);
            }
            Console.WriteLine($"| lease round trip, {db}, loopback HTTP, n={n} | acquire p50 {Pct(acquire, .5)} ms, p99 {Pct(acquire, .99)} ms | renew p50 {Pct(renew, .5)} ms, p99 {Pct(renew, .99)} ms | complete p50 {Pct(complete, .5)} ms, p99 {Pct(complete, .99)} ms |");
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }

    /// <summary>"Trains" by sleeping the trial's simulated epochs, reporting each, and records per device slot when each
    /// trial started and ended (the idle gap is the time in between).</summary>
    sealed class TimingRunner(int host) : ITrialRunner
    {
        public static readonly List<(string Slot, DateTime Start, DateTime End)> Runs = [];

        public async Task<TrialRunResult> RunAsync(TrialSpec spec, string workDir, bool resume, IReadOnlyList<string> devices, ITrialListener listener, CancellationToken ct)
        {
            var start = DateTime.UtcNow;
            listener.Started(1);
            for (var e = 1; e <= spec.Train.Epochs; e++)
            {
                await Task.Delay(TimeSpan.FromSeconds(spec.Train.Simulate?.SecondsPerEpoch ?? 0), ct);
                listener.Epoch(new EpochReport { Epoch = e, Map50_95 = 0.1 * e });
            }
            lock (Runs) Runs.Add(($"{host}/{devices[0]}", start, DateTime.UtcNow));
            return new TrialRunResult(new TrialMetrics { Map50_95 = 0.3, Epochs = spec.Train.Epochs }, null, false, 1);
        }
    }

    /// <summary>
    /// A Silo process on PostgreSQL and many trainer hosts (in this process) whose trials "train" by sleeping:
    /// how long a device waits between finishing one trial and starting the next, and what the Silo's CPU costs.
    /// </summary>
    public static async Task Simulation(PostgresServer pg, int hosts, int devices, int trialCount, double secondsPerTrial)
    {
        var dir = Directory.CreateTempSubdirectory("ys-sim-").FullName;
        var db = pg.Url(await pg.CreateDatabaseAsync());
        var port = PostgresServer.FreePort();
        var url = $"http://127.0.0.1:{port}";
        var dll = Path.Combine(AppContext.BaseDirectory, "yolosweep.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "silo", "--db", db, "--urls", url, "--silo-port", PostgresServer.FreePort().ToString(), "--lease-seconds", "60", "--log-file", Path.Combine(dir, "silo.log")])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["YOLOSWEEP_CLIENT_TOKEN"] = ClientToken;
        psi.Environment["YOLOSWEEP_TRAINER_TOKEN"] = TrainerToken;
        using var siloProcess = Process.Start(psi)!;
        siloProcess.OutputDataReceived += (_, _) => { };
        siloProcess.ErrorDataReceived += (_, _) => { };
        siloProcess.BeginOutputReadLine(); siloProcess.BeginErrorReadLine();
        using var client = Http(url, ClientToken);
        for (var i = 0; ; i++)
        {
            try { if ((await client.GetAsync("/readyz")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
            if (i > 300) throw new InvalidOperationException("silo did not start");
            await Task.Delay(100);
        }

        // Trials of 2 epochs; their length varies ±50% between sweeps so completions do not all land at once.
        const int sweeps = 8;
        var perSweep = trialCount / sweeps;
        for (var s = 0; s < sweeps; s++)
        {
            var seconds = secondsPerTrial * (0.5 + 1.0 * s / (sweeps - 1)) / 2;
            var yaml = $"name: sim{s}\ntrain: {{ epochs: 2, simulate: {{ seconds_per_epoch: {seconds:0.###} }} }}\n" +
                       $"matrix: {{ model: yolov5 }}\nseeds: [{string.Join(",", Enumerable.Range(0, perSweep))}]\n";
            (await client.PostAsJsonAsync("/api/v1/sweeps", new SubmitSweepRequest(yaml), Json.Options)).EnsureSuccessStatusCode();
        }

        var cpuBefore = SiloCpuSeconds(siloProcess.Id);
        var pgBefore = PostgresCpuSeconds();
        var hostsBefore = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var started = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var log = new Serilog.LoggerConfiguration().MinimumLevel.Warning().CreateLogger();
        var hostTasks = Enumerable.Range(0, hosts).Select(h =>
        {
            var options = new TrainerHostOptions
            {
                Silo = url, Token = TrainerToken, Devices = Enumerable.Range(0, devices).Select(d => $"cpu{d}").ToList(), Name = $"sim{h}",
                SharedDir = Path.Combine(dir, "shared"), PollInterval = TimeSpan.FromSeconds(1),
            };
            var lease = new SiloLeaseClient(url, TrainerToken);
            return new TrainerHost(options, lease, new TimingRunner(h), log).RunAsync(stop.Token);
        }).ToList();

        while (true)
        {
            var all = (await client.GetFromJsonAsync<List<SweepView>>("/api/v1/sweeps", Json.Options))!;
            if (all.All(x => x.Status != "active")) break;
            await Task.Delay(250);
        }
        var wall = started.Elapsed.TotalSeconds;
        var cpu = SiloCpuSeconds(siloProcess.Id) - cpuBefore;
        var pgCpu = PostgresCpuSeconds() - pgBefore;
        var hostsCpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - hostsBefore;
        await stop.CancelAsync();
        await Task.WhenAll(hostTasks);
        siloProcess.Kill();

        var gaps = new List<double>();
        foreach (var slot in TimingRunner.Runs.GroupBy(r => r.Slot))
        {
            var runs = slot.OrderBy(r => r.Start).ToList();
            for (var i = 1; i < runs.Count; i++) gaps.Add((runs[i].Start - runs[i - 1].End).TotalMilliseconds);
        }
        var ideal = Math.Ceiling(trialCount / (double)(hosts * devices)) * secondsPerTrial;
        Console.WriteLine($"| simulation: {hosts} hosts × {devices} devices, {TimingRunner.Runs.Count} trials of ~{secondsPerTrial:0.#} s, Silo process on PostgreSQL | " +
                          $"idle gap between trials p50 {Pct(gaps, .5)} ms, p99 {Pct(gaps, .99)} ms, max {gaps.DefaultIfEmpty(0).Max():0} ms ({gaps.Count} gaps) | " +
                          $"wall {wall:0.0} s (≥{ideal:0.0} s of sleeping) | Silo CPU {cpu:0.0} s = {100 * cpu / wall:0}% of one core (PostgreSQL {100 * pgCpu / wall:0}%, the {hosts} simulated hosts {100 * hostsCpu / wall:0}%) |");
    }

    static double PostgresCpuSeconds() =>
        Directory.GetDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsDigit)).Sum(pid =>
        {
            try { return File.ReadAllText($"/proc/{pid}/comm").Trim() == "postgres" ? SiloCpuSeconds(int.Parse(pid)) : 0; }
            catch (IOException) { return 0; }
        });

    static double SiloCpuSeconds(int pid)
    {
        // /proc/PID/stat fields 14 and 15: user and system time in clock ticks (100 per second on Linux).
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11]) + long.Parse(fields[12])) / 100.0;
    }

    /// <summary>The leaderboard over HTTP with 100,000 succeeded trials in PostgreSQL (one sweep, and across sweeps).</summary>
    public static async Task LeaderboardAt(PostgresServer pg, int n)
    {
        var database = await pg.CreateDatabaseAsync();
        var db = pg.Url(database);
        await using var silo = await SiloApp.StartAsync(new SiloOptions
        {
            Db = db, ClientToken = ClientToken, TrainerToken = TrainerToken, Urls = "http://127.0.0.1:0", LogToConsole = false, SiloPort = 0,
        });
        var fill = Stopwatch.StartNew();
        var total = (await silo.Orchestrator.SubmitSweepAsync("big", Synthetic("big", n, 0, 1), "bench.yaml")).Trials;
        await using (var c = new NpgsqlConnection(pg.ConnectionString(database)))
        {
            // Mark every trial succeeded with plausible metrics (the lease path is measured by the other benchmarks).
            await c.ExecuteAsync("""
                UPDATE trials SET state = 'succeeded', attempt = 1, token = 1, finished_ms = created_ms,
                  m_map50_95 = 0.25 + random() * 0.2, m_map50 = 0.45 + random() * 0.2, m_precision = 0.6, m_recall = 0.5, m_fitness = 0.3,
                  m_params = 2000000 + (random() * 1000000)::bigint, m_gflops = 4 + random() * 4, m_latency_ms = 2 + random() * 3,
                  m_epochs = 50, m_train_seconds = 3600 * random(), m_images_per_second = 300
                """, commandTimeout: 600);
            await c.ExecuteAsync("ANALYZE trials");
        }
        var fillSeconds = fill.Elapsed.TotalSeconds;
        using var http = Http(silo.BaseUrl, ClientToken);
        foreach (var (label, query) in new[] { ("one sweep", "?sweep=big"), ("across sweeps", ""), ("top 10, group by model", "?sweep=big&group_by=model&top=10") })
        {
            var times = new List<double>();
            var rows = 0;
            for (var i = 0; i < 12; i++)
            {
                var sw = Stopwatch.StartNew();
                var r = await http.GetAsync("/api/v1/leaderboard" + query);
                var body = await r.Content.ReadAsStringAsync();
                r.EnsureSuccessStatusCode();
                if (i >= 2) times.Add(sw.Elapsed.TotalMilliseconds);
                rows = System.Text.Json.JsonDocument.Parse(body).RootElement.GetArrayLength();
            }
            Console.WriteLine($"| leaderboard over HTTP, {total:N0} succeeded trials on PostgreSQL, {label} ({rows} rows) | p50 {Pct(times, .5)} ms, max {times.Max():0} ms (10 runs after 2 warm-up) | filling the table took {fillSeconds:0} s |");
        }
    }

    /// <summary>
    /// The scheduler under load, in one silo: how fast SchedulerGrain.Propose answers with a large queue, and how many
    /// trials per second the whole lease path (host grain → scheduler → trial grain, state written) hands out when many
    /// hosts ask at once.
    /// </summary>
    public static async Task Scheduler(string db, PostgresServer? pg, int trials, int hosts)
    {
        var dir = Directory.CreateTempSubdirectory("ys-sched-").FullName;
        var dbValue = db == "sqlite" ? Path.Combine(dir, "bench.db") : pg!.Url(await pg.CreateDatabaseAsync());
        await using var silo = await SiloApp.StartAsync(new SiloOptions
        {
            Db = dbValue, ClientToken = ClientToken, TrainerToken = TrainerToken, Urls = "http://127.0.0.1:0", LogToConsole = false, SiloPort = 0,
        });
        var o = silo.Orchestrator;
        var submit = Stopwatch.StartNew();
        var total = (await o.SubmitSweepAsync("sched", Synthetic("sched", trials, 0, 1), "bench.yaml")).Trials;
        var submitSeconds = submit.Elapsed.TotalSeconds;
        var scheduler = silo.Grains.GetGrain<YoloSweep.Grains.Scheduling.ISchedulerGrain>(0);
        await scheduler.Stats(); // activated: queues loaded
        // Propose without leasing: the pure matching cost with the whole sweep queued (offers are counted in flight,
        // so ask for one device at a time and let them pile up).
        const int proposals = 20_000;
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < proposals; i++) await scheduler.Propose("bench", 1, 1);
        var proposeRate = proposals / sw.Elapsed.TotalSeconds;
        // The lease path: hosts with 8 devices each asking concurrently until 20,000 trials are leased.
        for (var h = 0; h < hosts; h++) await o.RegisterHostAsync($"h{h}", $"h{h}", Enumerable.Range(0, 8).Select(d => new YoloSweep.Grains.Hosts.DeviceInfo($"gpu{d}")).ToList());
        var leased = 0;
        var target = Math.Min(20_000, total - proposals);
        sw.Restart();
        await Task.WhenAll(Enumerable.Range(0, hosts).Select(h => Task.Run(async () =>
        {
            while (Volatile.Read(ref leased) < target)
            {
                var got = await o.AcquireAsync($"h{h}", 8, 8);
                if (got.Count == 0) break;
                Interlocked.Add(ref leased, got.Count);
                foreach (var l in got) await o.CompleteAsync(l.TrialId, l.FencingToken, new TrialMetrics { Map50_95 = 0.3 });
            }
        })));
        var seconds = sw.Elapsed.TotalSeconds;
        Console.WriteLine($"| scheduler, {db}, one silo, {total:N0} queued trials | submit {submitSeconds:0.0} s · Propose {proposeRate:N0} calls/s (in-silo, sequential) · " +
                          $"lease + complete through the grains: {leased / seconds:N0} trials/s with {hosts} hosts × 8 devices asking at once |");
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>
    /// Two silo processes on one PostgreSQL database; a host holds leases through the second silo; the first is killed
    /// with SIGKILL. Measures how long until every held lease is renewable again and until a pending trial is leasable
    /// again, through the survivor (the grains of the dead silo reactivate there). Alternates which silo dies.
    /// </summary>
    public static async Task Failover(PostgresServer pg, int leased, int rounds)
    {
        var renewAll = new List<double>();
        var leaseAgain = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            var dir = Directory.CreateTempSubdirectory("ys-failover-").FullName;
            var db = pg.Url(await pg.CreateDatabaseAsync());
            var a = StartSiloProcess(db, dir, "a");
            var b = StartSiloProcess(db, dir, "b");
            await WaitReady(a.Url);
            await WaitReady(b.Url);
            var (victim, survivor) = round % 2 == 0 ? (a, b) : (b, a);
            using var client = Http(survivor.Url, ClientToken);
            var yaml = $"name: fo\ntrain: {{ epochs: 1, simulate: {{ seconds_per_epoch: 0 }} }}\nmatrix: {{ model: yolov5 }}\nseeds: [{string.Join(",", Enumerable.Range(0, leased + 20))}]\n";
            // Submitted through the victim, so the sweep's grain and the first trial activations start there.
            using (var viaVictim = Http(victim.Url, ClientToken))
                (await viaVictim.PostAsJsonAsync("/api/v1/sweeps", new SubmitSweepRequest(yaml), Json.Options)).EnsureSuccessStatusCode();
            using var trainer = Http(survivor.Url, TrainerToken);
            using var viaVictimTrainer = Http(victim.Url, TrainerToken);
            foreach (var t in new[] { trainer, viaVictimTrainer })
                (await t.PostAsJsonAsync("/api/v1/hosts", new RegisterHostRequest(t == trainer ? "holder" : "other", "h", Enumerable.Range(0, leased).Select(i => new DeviceView($"d{i}")).ToList()), Json.Options)).EnsureSuccessStatusCode();
            // Lease through the victim: the host grain, scheduler and trial grains are likely activated there.
            var r = await viaVictimTrainer.PostAsJsonAsync("/api/v1/leases", new AcquireRequest("other", leased, leased), Json.Options);
            var held = (await r.Content.ReadFromJsonAsync<AcquireResponse>(Json.Options))!.Leases;
            victim.Process.Kill();
            var killed = Stopwatch.StartNew();
            var pending = held.ToDictionary(l => l.TrialId, l => l.FencingToken);
            while (pending.Count > 0 && killed.Elapsed < TimeSpan.FromSeconds(60))
            {
                foreach (var (id, token) in pending.ToList())
                {
                    try
                    {
                        var rr = await trainer.PostAsJsonAsync($"/api/v1/leases/{id}/renew", new RenewRequest(token), Json.Options);
                        if (rr.IsSuccessStatusCode) pending.Remove(id);
                    }
                    catch (HttpRequestException) { }
                }
                if (pending.Count > 0) await Task.Delay(20);
            }
            renewAll.Add(killed.Elapsed.TotalMilliseconds);
            while (killed.Elapsed < TimeSpan.FromSeconds(60))
            {
                var rr = await trainer.PostAsJsonAsync("/api/v1/leases", new AcquireRequest("holder", 1, 1), Json.Options);
                if (rr.IsSuccessStatusCode && (await rr.Content.ReadFromJsonAsync<AcquireResponse>(Json.Options))!.Leases.Count == 1) break;
                await Task.Delay(20);
            }
            leaseAgain.Add(killed.Elapsed.TotalMilliseconds);
            survivor.Process.Kill();
            Console.Error.WriteLine($"round {round}: renewable again after {renewAll[^1]:0} ms (left {pending.Count}), leasable after {leaseAgain[^1]:0} ms");
        }
        Console.WriteLine($"| failover: kill -9 of one of two silo processes (PostgreSQL membership), {leased} leases held through it, {rounds} rounds | " +
                          $"every held lease renewable through the survivor after {string.Join(" / ", renewAll.Select(x => $"{x / 1000:0.00}"))} s · " +
                          $"a pending trial leasable after {string.Join(" / ", leaseAgain.Select(x => $"{x / 1000:0.00}"))} s |");
    }

    sealed record SiloProcess(Process Process, string Url);

    static SiloProcess StartSiloProcess(string db, string dir, string name)
    {
        var url = $"http://127.0.0.1:{PostgresServer.FreePort()}";
        var dll = Path.Combine(AppContext.BaseDirectory, "yolosweep.dll");
        var psi = new ProcessStartInfo("dotnet", [dll, "silo", "--db", db, "--urls", url, "--silo-port", PostgresServer.FreePort().ToString(), "--lease-seconds", "60",
            "--log-file", Path.Combine(dir, $"silo-{name}.log")]) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["YOLOSWEEP_CLIENT_TOKEN"] = ClientToken;
        psi.Environment["YOLOSWEEP_TRAINER_TOKEN"] = TrainerToken;
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine(); p.BeginErrorReadLine();
        return new SiloProcess(p, url);
    }

    static async Task WaitReady(string url)
    {
        using var probe = new HttpClient();
        for (var i = 0; ; i++)
        {
            try { if ((await probe.GetAsync(url + "/readyz")).IsSuccessStatusCode) return; } catch (HttpRequestException) { }
            if (i > 600) throw new InvalidOperationException($"silo {url} did not start");
            await Task.Delay(100);
        }
    }
}
