using System.CommandLine;
using YoloSweep.Client.Embedded;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep run SWEEP.yaml`: the whole sweep on this machine (embedded Silo + trainer), leaderboard at the end.</summary>
public static class RunCommand
{
    public static Command Build()
    {
        var file = new Argument<string>("sweep") { Description = "the sweep YAML file" };
        var runs = new Option<string>("--runs") { Description = "folder for run state (database, logs, checkpoints)", DefaultValueFactory = _ => "runs" };
        var db = new Option<string?>("--db") { Description = "database (default runs/NAME/yolosweep.db)" };
        var devices = new Option<string>("--devices")
        {
            Description = "device slots: cpu, cpu:N, GPU indices 0,1, or all (every GPU here) (env YOLOSWEEP_DEVICES)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("YOLOSWEEP_DEVICES") is { Length: > 0 } d ? d : "cpu",
        };
        var format = Cli.FormatOption("table", "json", "csv", "md");
        var lease = new Option<double>("--lease-seconds") { Description = "lease duration of the embedded Silo", DefaultValueFactory = _ => 20 };
        var c = new Command("run", "run a sweep on this machine: embedded Silo (SQLite) + trainer host, live progress, leaderboard at the end")
            { file, runs, db, devices, format, lease };
        c.SetAction((p, ct) => EmbeddedRun.RunAsync(new EmbeddedRunOptions
        {
            SweepPath = p.GetValue(file)!, RunsDir = p.GetValue(runs)!, Db = p.GetValue(db), Devices = p.GetValue(devices)!,
            Format = p.GetValue(format)!, LeaseDuration = TimeSpan.FromSeconds(Math.Max(1, p.GetValue(lease))),
        }, ct));
        return c;
    }
}
