using System.CommandLine;
using YoloSweep.Client.Report;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep report --sweep NAME --out report.md|.html`: the sweep's ablation report, from a run's database or a Silo.</summary>
public static class ReportCommand
{
    public static Command Build()
    {
        var sweep = new Option<string>("--sweep") { Description = "the sweep to report on", Required = true };
        var output = new Option<string>("--out") { Description = "report file: .md (figures in NAME_files/ beside it) or .html (one self-contained file)", Required = true };
        var db = RunReads.DbOption();
        var silo = Cli.SiloOption();
        var token = Cli.TokenOption();
        var c = new Command("report", "write an ablation report: verdicts, leaderboard with CIs, knob effects, Pareto fronts, curves, failed trials, the sweep file") { sweep, output, db, silo, token };
        c.SetAction(async (p, ct) =>
        {
            await using var reads = await RunReads.OpenAsync(p, db, silo, token, p.GetValue(sweep), ct);
            var path = await SweepReport.WriteAsync(reads, p.GetValue(sweep)!, p.GetValue(output)!, ct);
            Console.Error.WriteLine($"report: {path}");
            return 0;
        });
        return c;
    }
}
