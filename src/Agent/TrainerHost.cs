using System.Collections.Concurrent;
using System.Threading.Channels;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Agent;

/// <summary>
/// The trainer host agent: registers its devices, leases trials that fit its free devices, runs each one (in a worker
/// process), heartbeats the lease, streams epoch metrics, and reports the result with the lease's fencing token.
/// It survives silo restarts and database outages: every report is retried, in order, until the Silo answers, so
/// epochs that arrive during an outage wait in memory and are replayed after it; final results are never dropped.
/// </summary>
public sealed class TrainerHost(TrainerHostOptions options, SiloLeaseClient silo, ITrialRunner runner, Serilog.ILogger log)
{
    readonly string _hostId = $"{options.Name}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";
    readonly ConcurrentDictionary<string, Task> _running = new();
    readonly SemaphoreSlim _wake = new(0);
    TimeSpan _leaseTime = TimeSpan.FromSeconds(60);

    public string HostId => _hostId;
    SiloLeaseClient Silo => silo;
    /// <summary>Trials this host finished and the Silo accepted (tests and progress displays read it).</summary>
    public int Completed;

    /// <summary>Runs until <paramref name="stop"/>; then stops running trials and returns them to the Silo.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        try
        {
            await LoopAsync(stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        await Task.WhenAll(_running.Values.ToArray());
    }

    async Task LoopAsync(CancellationToken stop)
    {
        var free = new List<string>(options.Devices);
        await RegisterAsync(stop);
        while (!stop.IsCancellationRequested)
        {
            var gotWork = false;
            if (free.Count > 0)
            {
                try
                {
                    var leases = await silo.AcquireAsync(_hostId, free.Count, free.Count, stop);
                    foreach (var lease in leases)
                    {
                        var devices = TakeDevices(free, lease.Spec.Gpus);
                        if (devices is null)
                        {
                            // The Silo never hands out more than fits; if it did, give the lease back at once.
                            await silo.FailAsync(lease.TrialId, lease.FencingToken, $"host {_hostId} has no {lease.Spec.Gpus} free devices", true, stop);
                            continue;
                        }
                        gotWork = true;
                        _running[lease.TrialId] = Task.Run(async () =>
                        {
                            try { await RunLeaseAsync(lease, devices, stop); }
                            finally
                            {
                                lock (free) free.AddRange(devices);
                                _running.TryRemove(lease.TrialId, out _);
                                _wake.Release();
                            }
                        }, CancellationToken.None);
                    }
                }
                catch (KeyNotFoundException)
                {
                    log.Warning("The Silo does not know host {Host} (database reset?); registering again", _hostId);
                    await RegisterAsync(stop);
                    continue;
                }
                catch (HttpRequestException e)
                {
                    log.Warning("Cannot lease from the Silo: {Error}", e.Message);
                }
                catch (TaskCanceledException) when (!stop.IsCancellationRequested)
                {
                    log.Warning("Lease request to the Silo timed out");
                }
            }
            // A device freed up → ask again at once; otherwise poll.
            if (!gotWork || free.Count == 0)
            {
                if (free.Count == 0 && DateTime.UtcNow - _lastHeartbeat > HostHeartbeatEvery) await HostHeartbeatAsync(stop); // busy: still alive
                try { await _wake.WaitAsync(options.PollInterval, stop); }
                catch (OperationCanceledException) { break; }
            }
        }
    }

    static readonly TimeSpan HostHeartbeatEvery = TimeSpan.FromSeconds(15);
    DateTime _lastHeartbeat = DateTime.UtcNow;

    async Task HostHeartbeatAsync(CancellationToken stop)
    {
        _lastHeartbeat = DateTime.UtcNow;
        try { await silo.HeartbeatAsync(_hostId, stop); }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested) { }
    }

    List<string>? TakeDevices(List<string> free, int n)
    {
        lock (free)
        {
            if (free.Count < n) return null;
            var taken = free.Take(n).ToList();
            free.RemoveRange(0, n);
            return taken;
        }
    }

    async Task RegisterAsync(CancellationToken stop)
    {
        var request = new RegisterHostRequest(_hostId, options.Name, options.Devices.Select(d => new DeviceView(d)).ToList());
        for (var delay = TimeSpan.FromMilliseconds(200); !stop.IsCancellationRequested; delay = Min(delay * 2, TimeSpan.FromSeconds(5)))
        {
            try
            {
                var r = await silo.RegisterAsync(request, stop);
                _leaseTime = TimeSpan.FromSeconds(r.LeaseSeconds);
                log.Information("Registered as {Host} with {Count} device(s) at {Silo}", _hostId, options.Devices.Count, options.Silo);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                log.Warning("Cannot register with the Silo at {Silo}: {Error}; retrying", options.Silo, e.Message);
                await Delay(delay, stop);
            }
        }
    }

    /// <summary>One leased trial from start to its reported end.</summary>
    async Task RunLeaseAsync(LeaseView lease, IReadOnlyList<string> devices, CancellationToken stop)
    {
        var spec = lease.Spec;
        var workDir = Path.Combine(options.SharedDir, "checkpoints", spec.Sweep, lease.TrialId);
        log.Information("Trial {Trial} ({Model} {Scale} {Knobs} seed {Seed}) attempt {Attempt} on {Devices}{Resume}",
            lease.TrialId, spec.Model, spec.Scale, spec.KnobsText, spec.Seed, lease.Attempt, string.Join(",", devices), lease.Resume ? ", resuming" : "");

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var reports = Channel.CreateUnbounded<Func<Task>>(new UnboundedChannelOptions { SingleReader = true });
        var listener = new Listener(this, lease, reports.Writer, abort);
        // Reports go out in order on one task so a slow Silo never blocks reading the child's output.
        var sender = Task.Run(async () =>
        {
            await foreach (var send in reports.Reader.ReadAllAsync(CancellationToken.None)) await send();
        }, CancellationToken.None);
        var heartbeat = HeartbeatAsync(lease, abort);

        TrialRunResult? result = null;
        try
        {
            result = await runner.RunAsync(spec, workDir, lease.Resume || Directory.Exists(workDir), devices, listener, abort.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopped: the lease went stale / the sweep was cancelled (heartbeat), or this host is shutting down.
        }
        reports.Writer.TryComplete();
        await sender;
        await abort.CancelAsync();
        await heartbeat;

        if (listener.Lost)
        {
            log.Warning("Trial {Trial}: lease lost ({Why}); this attempt stopped", lease.TrialId, listener.LostReason);
            _lost.TryRemove(lease.TrialId, out _);
            return;
        }
        if (result is null)
        {
            // Host shutdown: hand the trial back so another host resumes it from the checkpoint without waiting for expiry.
            await ReportAsync(lease, "release", t => silo.ReleaseAsync(lease.TrialId, lease.FencingToken, $"host {_hostId} stopped", t), CancellationToken.None, TimeSpan.FromSeconds(10));
            return;
        }
        if (result.Succeeded)
        {
            try
            {
                var status = await ReportAsync(lease, "complete", t => silo.CompleteAsync(lease.TrialId, lease.FencingToken, result.Metrics!, Path.GetRelativePath(options.SharedDir, workDir), t), stop, null);
                if (status == ReportStatus.Accepted) Interlocked.Increment(ref Completed);
                log.Information("Trial {Trial} finished: mAP50-95 {Map:0.0000} ({Status})", lease.TrialId, result.Metrics!.Map50_95, status);
            }
            catch (ReportRefusedException e)
            {
                // Metrics the Silo cannot store (a NaN) would be the same on every attempt: the trial fails once, saying why.
                await ReportAsync(lease, "fail", t => silo.FailAsync(lease.TrialId, lease.FencingToken, $"the Silo refused the result: {e.Message}", false, t), stop, null);
            }
        }
        else
        {
            var status = await ReportAsync(lease, "fail", t => silo.FailAsync(lease.TrialId, lease.FencingToken, result.Error ?? "failed", result.Retryable, t), stop, null);
            log.Warning("Trial {Trial} failed ({Status}): {Error}", lease.TrialId, status, result.Error);
        }
    }

    /// <summary>
    /// Retries a report until the Silo answers (Silo restarts, network blips), or until <paramref name="giveUpAfter"/>;
    /// once the host is stopping, for at most 10 more seconds. A result given up on is not lost: metrics.json stays in
    /// the shared checkpoint folder and the next attempt resumes past the last epoch and reports it.
    /// </summary>
    async Task<ReportStatus?> ReportAsync(LeaseView lease, string what, Func<CancellationToken, Task<ReportStatus>> send, CancellationToken stop, TimeSpan? giveUpAfter)
    {
        var deadline = giveUpAfter is { } g ? DateTime.UtcNow + g : DateTime.MaxValue;
        DateTime? stoppingSince = null;
        for (var delay = TimeSpan.FromMilliseconds(100); ; delay = Min(delay * 2, TimeSpan.FromSeconds(3)))
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                return await send(timeout.Token);
            }
            catch (HttpRequestException e) when (e.StatusCode is System.Net.HttpStatusCode.BadRequest)
            {
                // A refusal of the report itself: sending it again gets the same answer, forever.
                log.Error("Trial {Trial}: the Silo refused the {What} report: {Error}", lease.TrialId, what, e.Message);
                throw new ReportRefusedException(e.Message);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                if (stop.IsCancellationRequested) stoppingSince ??= DateTime.UtcNow;
                if (DateTime.UtcNow > deadline || DateTime.UtcNow - stoppingSince > TimeSpan.FromSeconds(10)) return null;
                log.Warning("Trial {Trial}: cannot send {What} to the Silo ({Error}); retrying", lease.TrialId, what, e.Message);
                await Task.Delay(delay, CancellationToken.None);
            }
        }
    }

    async Task HeartbeatAsync(LeaseView lease, CancellationTokenSource abort)
    {
        var every = TimeSpan.FromSeconds(Math.Max(0.2, lease.LeaseSeconds / 4));
        while (!abort.IsCancellationRequested)
        {
            await Delay(every, abort.Token);
            if (abort.IsCancellationRequested) return;
            try
            {
                var status = await silo.RenewAsync(lease.TrialId, lease.FencingToken, abort.Token);
                if (status != ReportStatus.Accepted)
                {
                    _lost[lease.TrialId] = status.ToString().ToLowerInvariant();
                    await abort.CancelAsync();
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !abort.IsCancellationRequested)
            {
                // The Silo may be restarting: keep training, keep trying; the lease survives until the reaper runs.
                log.Warning("Trial {Trial}: heartbeat failed ({Error}); will retry", lease.TrialId, e.Message);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    readonly ConcurrentDictionary<string, string> _lost = new();

    sealed class Listener(TrainerHost host, LeaseView lease, ChannelWriter<Func<Task>> reports, CancellationTokenSource abort) : ITrialListener
    {
        public bool Lost => host._lost.ContainsKey(lease.TrialId);
        public string LostReason => host._lost.GetValueOrDefault(lease.TrialId) ?? "";

        public void Started(int startEpoch) =>
            reports.TryWrite(() => Send("start", t => host.Silo.StartAsync(lease.TrialId, lease.FencingToken, startEpoch, t)));

        public void Epoch(EpochReport epoch) =>
            reports.TryWrite(() => Send("epoch", t => host.Silo.EpochAsync(lease.TrialId, lease.FencingToken, epoch, t)));

        async Task Send(string what, Func<CancellationToken, Task<ReportStatus>> call)
        {
            if (abort.IsCancellationRequested) return;
            // No deadline: an epoch must not be dropped because the database is down for longer than a lease (the
            // lease itself survives, heartbeats do not need the database). Only a refusal or this attempt ending stops it.
            ReportStatus? status;
            try { status = await host.ReportAsync(lease, what, call, abort.Token, giveUpAfter: null); }
            catch (ReportRefusedException) { return; } // an epoch the Silo cannot store (logged); the trial goes on
            if (status is ReportStatus.Stale or ReportStatus.Cancelled or ReportStatus.NotFound)
            {
                host._lost[lease.TrialId] = status.Value.ToString().ToLowerInvariant();
                await abort.CancelAsync();
            }
        }
    }

    static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    static async Task Delay(TimeSpan d, CancellationToken ct)
    {
        try { await Task.Delay(d, ct); } catch (OperationCanceledException) { }
    }
}

/// <summary>The Silo answered 400 to a report: it is invalid as sent, and retrying cannot change that.</summary>
public sealed class ReportRefusedException(string message) : Exception(message);
