using System.CommandLine;
using YoloSweep.Client.Output;
using YoloSweep.Contracts.Leaderboards;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep leaderboard`: variants ranked by mAP50-95 over seeds, from a Silo or straight from a database file.</summary>
public static class LeaderboardCommand
{
    public sealed class QueryOptions
    {
        public Option<string?> Sweep { get; } = new("--sweep") { Description = "one sweep (default: across all sweeps)" };
        public Option<string?> GroupBy { get; } = new("--group-by") { Description = "row dimensions, comma-separated: model, scale and/or knob names" };
        public Option<string> Sort { get; } = new("--sort") { Description = "sort key: " + string.Join("|", LeaderboardQuery.SortKeys), DefaultValueFactory = _ => "map50_95" };
        public Option<bool> Ascending { get; } = new("--asc") { Description = "ascending order (default descending)" };
        public Option<string?> Model { get; } = new("--model") { Description = "only this model" };
        public Option<string?> Scale { get; } = new("--scale") { Description = "only this scale" };
        public Option<int?> Top { get; } = new("--top") { Description = "only the first N rows" };

        public QueryOptions() => Sort.AcceptOnlyFromAmong(LeaderboardQuery.SortKeys);

        public void AddTo(Command c)
        {
            foreach (var o in new Option[] { Sweep, GroupBy, Sort, Ascending, Model, Scale, Top }) c.Options.Add(o);
        }

        public LeaderboardQuery Read(ParseResult p)
        {
            if (p.GetValue(Top) is < 1) throw new CliException("--top must be a positive number");
            return new LeaderboardQuery
            {
                Sweep = p.GetValue(Sweep),
                GroupBy = (p.GetValue(GroupBy) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Sort = p.GetValue(Sort)!, Ascending = p.GetValue(Ascending), Model = p.GetValue(Model), Scale = p.GetValue(Scale), Top = p.GetValue(Top),
            };
        }
    }

    public static Command Build()
    {
        var query = new QueryOptions();
        var format = Cli.FormatOption("table", "json", "csv", "md");
        var silo = Cli.SiloOption();
        var token = Cli.TokenOption();
        var db = RunReads.DbOption();
        var c = new Command("leaderboard", "rank variants by mAP50-95 over seeds: Δ vs the baseline with its 95 % CI, p and verdict, params, GFLOPs, latency, Pareto flags");
        query.AddTo(c);
        foreach (var o in new Option[] { format, silo, token, db }) c.Options.Add(o);
        c.SetAction(async (p, ct) =>
        {
            var q = query.Read(p);
            await using var reads = await RunReads.OpenAsync(p, db, silo, token, q.Sweep, ct);
            LeaderboardOutput.Write(await reads.LeaderboardAsync(q, ct), p.GetValue(format)!, title: q.Sweep);
            return 0;
        });
        return c;
    }
}
