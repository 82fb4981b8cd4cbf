using System.CommandLine;
using YoloSweep.Client.Output;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep trials [--sweep S] [--state X]`, from a Silo or a run's database.</summary>
public static class TrialsCommand
{
    public static Command Build()
    {
        var sweep = new Option<string?>("--sweep") { Description = "only this sweep" };
        var state = new Option<string?>("--state") { Description = "only this state: " + string.Join("|", Enum.GetValues<TrialState>().Select(s => s.ToDb())) };
        state.AcceptOnlyFromAmong(Enum.GetValues<TrialState>().Select(s => s.ToDb()).ToArray());
        var silo = Cli.SiloOption();
        var token = Cli.TokenOption();
        var db = RunReads.DbOption();
        var format = Cli.FormatOption("table", "json", "csv");
        var c = new Command("trials", "list trials with their state, attempt, epoch and result") { sweep, state, silo, token, db, format };
        c.SetAction(async (p, ct) =>
        {
            await using var reads = await RunReads.OpenAsync(p, db, silo, token, p.GetValue(sweep), ct);
            ListOutput.Trials(await reads.TrialsAsync(p.GetValue(sweep), p.GetValue(state), ct), p.GetValue(format)!);
            return 0;
        });
        return c;
    }
}
