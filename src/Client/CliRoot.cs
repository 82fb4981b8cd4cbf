using System.CommandLine;
using YoloSweep.Client.Commands;

namespace YoloSweep.Client;

/// <summary>
/// The whole `yolosweep` command tree: one line per command group (src/Client/Commands); adding a group is adding
/// a line. Public so that tests can parse command lines (manifests, docs) with the real parser, without running them.
/// </summary>
public static class CliRoot
{
    public static RootCommand Build()
    {
        var root = new RootCommand("yolosweep: ablation sweeps of YOLO detector variants (Silo, trainer hosts, leaderboard)");
        Command[] groups =
        [
            RunCommand.Build(),          // run SWEEP.yaml — embedded Silo + trainer
            SubmitCommand.Build(),       // submit SWEEP.yaml — to a Silo
            SweepsCommands.Build(),      // sweeps list|show|cancel
            TrialsCommand.Build(),       // trials
            LeaderboardCommand.Build(),  // leaderboard
            ReportCommand.Build(),       // report — an ablation report (.md or .html)
            DashboardCommand.Build(),    // dashboard --db — the web dashboard of a run's database
            SiloCommand.Build(),         // silo — the coordinator
            TrainerCommand.Build(),      // trainer — a trainer host agent
            ModelCommands.Build(),       // model info|run — the model zoo
            TrainCommands.Build(),       // train — one training run
            ValCommand.Build(),          // val — validate a weights file on a dataset
            PredictCommand.Build(),      // predict — detect objects in images with a weights file
            DataCommands.Build(),        // data synth — a synthetic detection dataset
        ];
        foreach (var group in groups) root.Subcommands.Add(group);
        return root;
    }
}
