using System.CommandLine;
using YoloSweep.Agent;
using YoloSweep.Hosting;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep trainer`: a trainer host agent leasing trials from a Silo until Ctrl+C / SIGTERM.</summary>
public static class TrainerCommand
{
    public static Command Build()
    {
        var silo = new Option<string?>("--silo") { Description = "Silo URL, or several silos of one cluster comma-separated (env YOLOSWEEP_SILO)" };
        var token = new Option<string?>("--token") { Description = "trainer token; visible in ps: prefer env YOLOSWEEP_TRAINER_TOKEN or --token-file" };
        var tokenFile = new Option<string?>("--token-file") { Description = "file holding the trainer token (or env YOLOSWEEP_TRAINER_TOKEN_FILE)" };
        var devices = new Option<string?>("--devices") { Description = "device slots: cpu, cpu:N, GPU indices 0,1,2,3, or all (every GPU here) (env YOLOSWEEP_DEVICES)" };
        var shared = new Option<string?>("--shared-dir") { Description = "datasets + checkpoints folder shared by all hosts (env YOLOSWEEP_SHARED_DIR)" };
        var name = new Option<string?>("--name") { Description = "host name shown in the Silo (default: machine name)" };
        var poll = new Option<double>("--poll-seconds") { Description = "how often an idle host asks for work", DefaultValueFactory = _ => 2 };
        var logFile = new Option<string?>("--log-file") { Description = "also write logs to this file" };
        var c = new Command("trainer", "run a trainer host: lease trials that fit this machine's devices and run each in a worker process")
            { silo, token, tokenFile, devices, shared, name, poll, logFile };
        c.SetAction(async (p, ct) =>
        {
            if (p.GetValue(token) is { } t)
            {
                Cli.WarnTokenOnCommandLine("--token", "YOLOSWEEP_TRAINER_TOKEN");
                Environment.SetEnvironmentVariable("YOLOSWEEP_TRAINER_TOKEN", t);
            }
            var options = TrainerHostOptions.FromEnvironment(p.GetValue(silo), p.GetValue(devices), p.GetValue(shared), p.GetValue(tokenFile));
            options = options with { Name = p.GetValue(name) ?? options.Name, PollInterval = TimeSpan.FromSeconds(Math.Max(0.05, p.GetValue(poll))) };
            var log = Logging.Create(p.GetValue(logFile), console: true).ForContext("SourceContext", "Trainer");
            using var client = new SiloLeaseClient(options.Silo, options.Token);
            var host = new TrainerHost(options, client, new ChildProcessTrialRunner(options.WorkerCommand, options.SharedDir, log), log);
            await host.RunAsync(ct);
            log.Information("Trainer host {Host} stopped", host.HostId);
            await ((IAsyncDisposable)log).DisposeAsync();
            return 0;
        });
        return c;
    }
}
