using System.Security.Cryptography;
using Spectre.Console;
using YoloSweep.Client.Output;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Grains.Leaderboards;
using YoloSweep.Grains.Queries;
using YoloSweep.Contracts.Sweeps;
using YoloSweep.Silo;
using YoloSweep.Agent;
using YoloSweep.Hosting;

namespace YoloSweep.Client.Embedded;

public sealed record EmbeddedRunOptions
{
    public required string SweepPath { get; init; }
    public string RunsDir { get; init; } = "runs";
    public string? Db { get; init; }
    public string Devices { get; init; } = "cpu";
    public string Format { get; init; } = "table";
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(20);
    public int? Port { get; init; }
}

/// <summary>
/// `yolosweep run`: a silo (SQLite file under runs/NAME, localhost clustering) and a trainer host agent in this
/// process, talking over loopback HTTP exactly as in a cluster; trials still run in worker processes. Running the same
/// file again resumes the sweep.
/// </summary>
public static class EmbeddedRun
{
    public static async Task<int> RunAsync(EmbeddedRunOptions o, CancellationToken ct)
    {
        var yaml = Cli.ReadSweepFile(o.SweepPath);
        var sharedDir = Environment.GetEnvironmentVariable("YOLOSWEEP_SHARED_DIR") is { Length: > 0 } shared ? shared : Path.GetFullPath(Path.Combine(o.RunsDir, "shared"));
        // The shared folder is this machine's: the dataset is checked before the Silo starts.
        var spec = SweepSpecParser.Parse(yaml, o.SweepPath, new SubmitContext(sharedDir));
        var runDir = Path.GetFullPath(Path.Combine(o.RunsDir, spec.Name));
        Directory.CreateDirectory(runDir);
        var devices = Agent.Devices.Parse(o.Devices);
        if (spec.Gpus > devices.Count)
            throw new CliException($"each trial of '{spec.Name}' needs {spec.Gpus} devices (resources.gpus) but this machine offers {devices.Count} (--devices {o.Devices}); " +
                                   "lower resources.gpus or offer more devices");
        string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var (clientToken, trainerToken) = (NewToken(), NewToken());

        await using var silo = await SiloApp.StartAsync(new SiloOptions
        {
            Db = o.Db ?? Path.Combine(runDir, "yolosweep.db"), ClientToken = clientToken, TrainerToken = trainerToken,
            Urls = $"http://127.0.0.1:{o.Port ?? 0}", LogToConsole = false, LogFile = Path.Combine(runDir, "silo.log"),
            LeaseDuration = o.LeaseDuration, SiloPort = 0, Dashboard = false, SharedDir = sharedDir,
        }, ct);
        using var client = new SiloClient(silo.BaseUrl, clientToken);
        SubmitSweepResponse submitted;
        try
        {
            submitted = await client.SubmitAsync(yaml, Path.GetFileName(o.SweepPath), ct);
        }
        catch (CliException e) when (e.Message.Contains("already exists"))
        {
            throw new CliException($"{runDir} holds an earlier run of a different sweep named '{spec.Name}' (the file changed since): " +
                                   $"rename the sweep, or delete {runDir} to start over");
        }
        var console = AnsiConsole.Console;
        var machineReadable = o.Format is "json" or "csv";
        var info = machineReadable ? Cli.Stderr() : console;
        info.MarkupLine($"[bold]{Markup.Escape(spec.Name)}[/]: {submitted.Trials} trials" +
                        (submitted.Outcome == "created" ? "" : " [yellow](resuming the earlier run)[/]") +
                        $" on {devices.Count} device slot(s) → {Markup.Escape(runDir)}");
        info.MarkupLine($"web dashboard: [link]{silo.BaseUrl}/#token={clientToken}[/]");

        var log = Logging.Create(Path.Combine(runDir, "trainer.log"), console: false).ForContext("SourceContext", "Trainer");
        var hostOptions = new TrainerHostOptions
        {
            Silo = silo.BaseUrl, Token = trainerToken, Devices = devices, Name = "embedded",
            SharedDir = sharedDir,
            PollInterval = TimeSpan.FromMilliseconds(500),
        };
        using var leaseClient = new SiloLeaseClient(silo.BaseUrl, trainerToken);
        var host = new TrainerHost(hostOptions, leaseClient, new ChildProcessTrialRunner(hostOptions.WorkerCommand, hostOptions.SharedDir, log), log);
        using var stopHost = new CancellationTokenSource();
        var hostTask = host.RunAsync(stopHost.Token);

        var interrupted = false;
        try
        {
            await ProgressView.ShowAsync(silo.Orchestrator.Reads, spec.Name, info, interactive: !machineReadable && !Console.IsOutputRedirected && console.Profile.Capabilities.Interactive, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            interrupted = true;
        }
        await stopHost.CancelAsync();
        await hostTask;
        await ((IAsyncDisposable)log).DisposeAsync();
        if (interrupted)
        {
            info.MarkupLine("[yellow]interrupted[/]: run the same command again to resume from the checkpoints");
            return 130;
        }

        var reads = silo.Orchestrator.Reads;
        var sweep = (await reads.GetSweepAsync(spec.Name, CancellationToken.None))!;
        var rows = await Leaderboard.ReadAsync(reads, new LeaderboardQuery { Sweep = spec.Name });
        LeaderboardOutput.Write(rows, o.Format, title: $"{spec.Name} leaderboard");
        var failed = sweep.Counts.GetValueOrDefault(Contracts.Trials.TrialState.Failed);
        if (failed > 0)
        {
            info.MarkupLine($"[red]{failed} trial(s) failed[/]; reasons in {Markup.Escape(Path.Combine(runDir, "silo.log"))} and the trial logs under {Markup.Escape(hostOptions.SharedDir)}");
            foreach (var t in await reads.ListTrialsAsync(new TrialQuery(spec.Name, Contracts.Trials.TrialState.Failed), CancellationToken.None))
                info.MarkupLine($"  {t.Id} {Markup.Escape(t.Spec.Model)} {t.Spec.Scale} seed {t.Spec.Seed}: {Markup.Escape(t.Error ?? "")}");
        }
        var db = Markup.Escape(Path.GetRelativePath(Environment.CurrentDirectory, Path.Combine(runDir, "yolosweep.db")));
        var name = Markup.Escape(spec.Name);
        info.MarkupLine($"leaderboard: yolosweep leaderboard --db {db} --sweep {name}");
        info.MarkupLine($"report:      yolosweep report --db {db} --sweep {name} --out {name}-report.html");
        info.MarkupLine($"dashboard:   yolosweep dashboard --db {db}");
        return failed > 0 ? 1 : 0;
    }
}
