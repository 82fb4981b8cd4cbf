using System.CommandLine;
using Spectre.Console;
using YoloSweep.Client.Output;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Sweeps;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep submit SWEEP.yaml`: hand a sweep to a Silo (resubmitting the same file is harmless).</summary>
public static class SubmitCommand
{
    public static Command Build()
    {
        var file = new Argument<string>("sweep") { Description = "the sweep YAML file" };
        var silo = Cli.SiloOption();
        var token = Cli.TokenOption();
        var wait = new Option<bool>("--wait") { Description = "wait until every trial is final, then print the leaderboard" };
        var format = Cli.FormatOption("table", "json", "csv", "md");
        var c = new Command("submit", "submit a sweep to a Silo") { file, silo, token, wait, format };
        c.SetAction(async (p, ct) =>
        {
            var path = p.GetValue(file)!;
            var yaml = Cli.ReadSweepFile(path);
            SweepSpecParser.Parse(yaml, path); // fail fast, locally, with line/column
            using var client = Cli.Connect(p, silo, token);
            var r = await client.SubmitAsync(yaml, Path.GetFileName(path), ct);
            var quiet = p.GetValue(format) is "json" or "csv";
            if (!quiet)
                Console.Error.WriteLine(r.Outcome == "created"
                    ? $"sweep '{r.Sweep}' submitted: {r.Trials} trials"
                    : $"sweep '{r.Sweep}' was already submitted ({r.Trials} trials); nothing changed");
            if (r.Warning is not null) Console.Error.WriteLine($"warning: {r.Warning}");
            if (!p.GetValue(wait)) return 0;

            SweepView sweep;
            while ((sweep = await client.SweepAsync(r.Sweep, ct)).Status == "active")
            {
                if (!quiet) Console.Error.WriteLine($"  {sweep.Finished}/{sweep.Total} trials final");
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
            var rows = await client.LeaderboardAsync(new Contracts.Leaderboards.LeaderboardQuery { Sweep = r.Sweep }, ct);
            LeaderboardOutput.Write(rows, p.GetValue(format)!, title: r.Sweep);
            var failed = sweep.Counts.GetValueOrDefault("failed");
            if (failed > 0) AnsiConsole.MarkupLine($"[yellow]{failed} trial(s) failed[/]: yolosweep trials --sweep {r.Sweep} --state failed");
            return failed > 0 ? 1 : 0;
        });
        return c;
    }
}

