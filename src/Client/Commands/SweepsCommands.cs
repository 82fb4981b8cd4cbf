using System.CommandLine;
using YoloSweep.Client.Output;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep sweeps list|show|cancel`; list and show also read a run's database (--db).</summary>
public static class SweepsCommands
{
    public static Command Build()
    {
        var group = new Command("sweeps", "list, show and cancel sweeps");

        var silo = Cli.SiloOption();
        var token = Cli.TokenOption();
        var db = RunReads.DbOption();
        var format = Cli.FormatOption("table", "json");
        var list = new Command("list", "all sweeps and their progress") { silo, token, db, format };
        list.SetAction(async (p, ct) =>
        {
            await using var reads = await RunReads.OpenAsync(p, db, silo, token, null, ct);
            ListOutput.Sweeps(await reads.SweepsAsync(ct), p.GetValue(format)!);
            return 0;
        });

        var name = new Argument<string>("name") { Description = "sweep name" };
        var showFormat = Cli.FormatOption("table", "json");
        var show = new Command("show", "one sweep: progress, spec and its trials (from runs/NAME/yolosweep.db when it exists and no Silo is named)") { name, silo, token, db, showFormat };
        show.SetAction(async (p, ct) =>
        {
            await using var reads = await RunReads.OpenAsync(p, db, silo, token, p.GetValue(name), ct);
            var sweep = await reads.SweepAsync(p.GetValue(name)!, ct);
            var trials = await reads.TrialsAsync(sweep.Name, null, ct);
            if (p.GetValue(showFormat) == "json")
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new { sweep, trials }, Contracts.Json.Indented));
                return 0;
            }
            ListOutput.Sweeps([sweep], "table");
            Console.WriteLine(sweep.SpecYaml?.TrimEnd());
            ListOutput.Trials(trials, "table");
            return 0;
        });

        var cancelName = new Argument<string>("name") { Description = "sweep name" };
        var cancel = new Command("cancel", "cancel a sweep: pending trials never start, running ones stop at their next heartbeat") { cancelName, silo, token };
        cancel.SetAction(async (p, ct) =>
        {
            using var client = Cli.Connect(p, silo, token);
            var sweep = await client.CancelAsync(p.GetValue(cancelName)!, ct);
            Console.WriteLine($"sweep '{sweep.Name}' cancelled ({sweep.Counts.GetValueOrDefault("succeeded")} trial(s) had succeeded)");
            return 0;
        });

        group.Subcommands.Add(list);
        group.Subcommands.Add(show);
        group.Subcommands.Add(cancel);
        return group;
    }
}
