using System.Diagnostics;
using Xunit.Abstractions;
using YoloSweep.Trainer.Engine;

namespace YoloSweep.Trainer.Tests;

/// <summary>
/// The host lock between trials on one machine: exclusive excludes shared (both ways, between threads and between
/// processes), a waiting exclusive taker is not starved by a stream of overlapping shared holders (the turnstile), a
/// cancellation ends a wait and leaves nothing held, and a holder that dies releases the lock.
/// </summary>
public sealed class HostLockTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ys-hostlock-").FullName;
    string LockFile => Path.Combine(_dir, "host.lock");
    HostLock NewLock() => new(LockFile) { Poll = TimeSpan.FromMilliseconds(10) };

    public void Dispose() => Directory.Delete(_dir, true);

    static CancellationToken After(int ms) => new CancellationTokenSource(ms).Token;

    [Fact]
    public void Exclusive_excludes_shared_and_shared_excludes_exclusive_but_shared_holders_share()
    {
        var a = NewLock();
        using (var s1 = a.Shared())
        {
            Assert.True(s1.Locked);
            using (var s2 = NewLock().Shared(After(2000))) Assert.True(s2.Locked);  // readers share
            Assert.Throws<OperationCanceledException>(() => NewLock().Exclusive(After(300)));
        }
        using (var x = NewLock().Exclusive(After(2000)))
        {
            Assert.True(x.Locked && x.Exclusive);
            Assert.Throws<OperationCanceledException>(() => NewLock().Shared(After(300)));
            Assert.Throws<OperationCanceledException>(() => NewLock().Exclusive(After(300)));
        }
        using var again = NewLock().Shared(After(2000));
        Assert.True(again.Locked);
    }

    [Fact]
    public void A_waiting_exclusive_is_not_starved_by_a_stream_of_overlapping_shared_holders()
    {
        // four trainers, each holding the lock shared for 80 ms "epochs" back to back, started 20 ms apart: at every
        // moment at least three hold it, so a plain flock(LOCK_EX) would wait for ever
        using var stop = new CancellationTokenSource();
        var epochs = new int[4];
        var readers = Enumerable.Range(0, 4).Select(i => Task.Factory.StartNew(() =>
        {
            Thread.Sleep(20 * i);
            var l = NewLock();
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var h = l.Shared(stop.Token);
                    Thread.Sleep(80);
                    Interlocked.Increment(ref epochs[i]);  // while still held
                }
                catch (OperationCanceledException) { return; }
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        try
        {
            Thread.Sleep(400);
            Assert.All(epochs, n => Assert.True(n > 0, "every reader ran"));
            var sw = Stopwatch.StartNew();
            int during;
            using (var x = NewLock().Exclusive(After(10_000)))
            {
                output.WriteLine($"exclusive after {x.Waited.TotalMilliseconds:F0} ms of waiting");
                Assert.True(x.Locked);
                // at most one epoch of each holder (80 ms), plus polling and a loaded machine's scheduling
                Assert.True(x.Waited < TimeSpan.FromSeconds(3), $"waited {x.Waited}");
                during = epochs.Sum();
                Thread.Sleep(300);
                Assert.Equal(during, epochs.Sum());  // nobody trained while it was held
            }
            Thread.Sleep(400);
            Assert.True(epochs.Sum() > during, "the readers carry on after the exclusive hold");
            output.WriteLine($"epochs {string.Join(",", epochs)}; whole exclusive round {sw.ElapsedMilliseconds} ms");
        }
        finally
        {
            stop.Cancel();
            Task.WaitAll(readers);
        }
    }

    [Fact]
    public void A_cancelled_exclusive_wait_ends_promptly_and_leaves_nothing_held()
    {
        var holder = NewLock().Shared();
        using var cts = new CancellationTokenSource(150);
        var sw = Stopwatch.StartNew();
        Assert.Throws<OperationCanceledException>(() => NewLock().Exclusive(cts.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed}");
        // the turnstile it held while waiting is free again: a new shared holder gets in at once
        using (var s = NewLock().Shared(After(1000))) Assert.True(s.Waited < TimeSpan.FromMilliseconds(900));
        holder.Dispose();
        using var x = NewLock().Exclusive(After(1000));
        Assert.True(x.Locked);
    }

    [Fact]
    public void Another_process_holding_it_shared_keeps_the_exclusive_out_until_it_dies()
    {
        if (!File.Exists("/usr/bin/flock")) { output.WriteLine("no /usr/bin/flock (util-linux): skipped"); return; }
        // util-linux flock(1) takes the same flock(2) lock in another process
        using var p = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["-s", LockFile, "-c", "echo held; exec sleep 60"])
            { RedirectStandardOutput = true, UseShellExecute = false })!;
        try
        {
            Assert.Equal("held", p.StandardOutput.ReadLine());
            var waiting = Task.Run(() => NewLock().Exclusive(After(20_000)));
            Thread.Sleep(400);
            Assert.False(waiting.IsCompleted, "exclusive while another process holds it shared");
            p.Kill(entireProcessTree: true);
            Assert.True(waiting.Wait(TimeSpan.FromSeconds(10)), "the kernel released the dead holder's lock");
            using var x = waiting.Result;
            Assert.True(x.Locked);
            // and the other way round: held exclusive here, another process cannot take it shared
            using var q = Process.Start(new ProcessStartInfo("/usr/bin/flock", ["-s", "-n", LockFile, "true"]) { UseShellExecute = false })!;
            q.WaitForExit();
            Assert.Equal(1, q.ExitCode);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    /// <summary>A real training run holds the lock shared per epoch: an exclusive taker gets in between epochs, no epoch
    /// ends while it holds the lock, and the run logs how long it waited.</summary>
    [Fact]
    public void A_training_run_lets_an_exclusive_in_between_epochs_and_waits_for_it()
    {
        using var synth = new TinySynth();
        var project = Path.Combine(_dir, "run");
        var ended = new List<DateTime>();
        using var first = new ManualResetEventSlim();
        var train = Task.Factory.StartNew(() => TrainingRun.Run(new TrainOptions
        {
            Model = Fixtures.TinyModel("tiny-v8"), Data = synth.Yaml, Epochs = 3, ImgSize = 64, Batch = 8, Seed = 1, Project = project, Workers = 1,
            Plots = false, HostLock = LockFile, Latency = new Models.LatencyOptions { Warmup = 1, Runs = 3 },
        }, new SyncProgress<EpochReport>(_ => { lock (ended) ended.Add(DateTime.UtcNow); first.Set(); })), TaskCreationOptions.LongRunning);
        Assert.True(first.Wait(TimeSpan.FromMinutes(3)), "the first epoch ended");
        DateTime held, released;
        using (var x = NewLock().Exclusive(After(120_000)))
        {
            held = DateTime.UtcNow;
            Thread.Sleep(1500);
            released = DateTime.UtcNow;
        }
        var r = train.Result;
        Assert.Equal(3, r.Epochs);
        lock (ended) Assert.DoesNotContain(ended, t => t > held && t < released);
        var log = File.ReadAllText(Path.Combine(project, "train.log"));
        output.WriteLine(string.Join("\n", log.Split('\n').Where(l => l.Contains("host lock"))));
        Assert.Matches(@"Waited \d+\.\d s for the host lock .* before (epoch [23]|the final validation)", log);
    }

    [Fact]
    public void An_unusable_lock_file_warns_and_does_not_lock()
    {
        var l = new HostLock(Path.Combine(_dir, "no-such-dir", "host.lock"));
        using var x = l.Exclusive(After(1000));
        Assert.False(x.Locked);
        using var s = l.Shared(After(1000));
        Assert.False(s.Locked);
    }

    [Fact]
    public void The_path_comes_from_YOLOSWEEP_HOST_LOCK_or_the_temp_folder()
    {
        Assert.Equal(Path.Combine(_dir, "x.lock"), new HostLock(Path.Combine(_dir, "x.lock")).LockPath);
        Assert.Equal(Path.Combine(_dir, "x.lock") + ".turnstile", new HostLock(Path.Combine(_dir, "x.lock")).TurnstilePath);
        var was = Environment.GetEnvironmentVariable(HostLock.PathVariable);
        try
        {
            Environment.SetEnvironmentVariable(HostLock.PathVariable, null);
            Assert.Equal(Path.Combine(Path.GetTempPath(), "yolosweep-host.lock"), HostLock.DefaultPath);
        }
        finally { Environment.SetEnvironmentVariable(HostLock.PathVariable, was); }
    }
}
