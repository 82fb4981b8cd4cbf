using YoloSweep.Client.Output;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Grains.Leaderboards;

namespace YoloSweep.Client.Tests;

public class LeaderboardOutputTests
{
    static readonly LeaderboardRow[] Rows =
    [
        new() { Rank = 1, Sweeps = "s", Model = "yolov5-c3faster", Scale = "n", Knobs = "pconv.mlp_ratio=2 pconv.n_div=2", Seeds = 2,
                Map50_95 = new(0.34, 0.01), Map50 = new(0.52, 0.02), Baseline = "yolov5", DeltaMap50_95 = new(0.03, 0.01, 0.05, 0.02, 2, true, 2), Verdict = Contracts.Statistics.Verdict.Better, Params = 2_100_000, Gflops = 4.6, LatencyMs = 3, TrainSeconds = 60, ParetoGflops = true },
        new() { Rank = 2, Sweeps = "s", Model = "yolov5-c3faster", Scale = "n", Knobs = "pconv.mlp_ratio=2 pconv.n_div=4", Seeds = 2,
                Map50_95 = new(0.32, 0.01), Map50 = new(0.5, 0.02), Baseline = "yolov5", DeltaMap50_95 = new(0.01, -0.02, 0.04, 0.3, 2, true, 2), Verdict = Contracts.Statistics.Verdict.NoEvidence, FailedSeeds = 1, Params = 1_700_000, Gflops = 5.2, LatencyMs = 3.4, TrainSeconds = 61 },
        new() { Rank = 3, Sweeps = "s", Model = "yolov5", Scale = "n", Knobs = "", Seeds = 2,
                Map50_95 = new(0.31, 0.0), Map50 = new(0.49, 0.0), Baseline = "yolov5", Params = 1_700_000, Gflops = 4.1, LatencyMs = 2.9, TrainSeconds = 59, ParetoLatency = true },
    ];

    [Fact]
    public void Csv_has_one_line_per_row_with_raw_numbers()
    {
        var lines = LeaderboardOutput.Csv(Rows).TrimEnd().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Equal("1,s,yolov5-c3faster,n,pconv.mlp_ratio=2 pconv.n_div=2,2,0,0.34,0.01,,,0.52,0.02,yolov5,0.03,0.01,0.05,0.02,2,true,,,,,better,2100000,4.6,3,60,true,false", lines[1]);
        Assert.Contains(",1,0.32,", lines[2]); // the failed seed is counted
        Assert.Contains(",no_evidence,", lines[2]);
        Assert.EndsWith(",false,true", lines[3]);
    }

    [Fact]
    public void Markdown_is_a_table_with_signed_deltas()
    {
        var md = LeaderboardOutput.Markdown(Rows).TrimEnd().Split('\n');
        Assert.Equal(5, md.Length);
        Assert.Equal("| 1 | yolov5-c3faster | n | pconv.mlp_ratio=2 pconv.n_div=2 | 2 | 0.3400 ± 0.0100 | 0.5200 ± 0.0200 | +0.0300 [+0.0100, +0.0500] | 0.020 | better | 2.10 | 4.6 | 3.0 | 60 | G |", md[2]);
        Assert.Contains("| 2 (1 failed) |", md[3]);
        Assert.Contains("| no evidence (n=2) |", md[3]);
        Assert.Contains("| baseline |", md[4]);
    }

    [Fact]
    public void The_console_table_shows_only_the_knobs_that_tell_rows_apart()
    {
        var writer = new StringWriter();
        LeaderboardOutput.Table(Rows, writer, "s");
        var text = writer.ToString();
        Assert.Contains("pconv.n_div=2", text);
        Assert.Contains("pconv.n_div=4", text);
        Assert.DoesNotContain("mlp_ratio", text); // the same in every c3faster row
        Assert.Contains("0.3400 ± 0.0100", text);
        Assert.Contains("+0.0300", text);
        var empty = new StringWriter();
        LeaderboardOutput.Table([], empty);
        Assert.Contains("no finished trials yet", empty.ToString());
    }
}
