using System.CommandLine;
using YoloSweep.Trainer.Host;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep trial run`: one trial, normally started by a trainer host as its child process.</summary>
public static class TrialCommands
{
    /// <summary>
    /// Registration point for real training: when the Trainer's libtorch executor lands, pass its factory here
    /// (e.g. `new TrialExecutorFactory(real: () => new TrainingTrialExecutor())`). Until then, non-simulated trials
    /// fail with a clear "not available yet" message.
    /// </summary>
    public static TrialExecutorFactory Executors { get; set; } = new(real: () => new YoloSweep.Trainer.Engine.TrainingTrialExecutor());

    public static Command Build()
    {
        var spec = new Option<string>("--spec") { Description = "trial.json written by the trainer host", Required = true };
        var workdir = new Option<string>("--workdir") { Description = "the trial's folder (checkpoints, metrics.json)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue after the last checkpointed epoch" };
        var exitWithStdin = new Option<bool>("--exit-with-stdin") { Description = "exit when stdin closes (the parent host died)" };
        var run = new Command("run", "run one trial; prints JSON lines (started, epoch, finished, error) on stdout and writes WORKDIR/metrics.json")
            { spec, workdir, resume, exitWithStdin };
        run.SetAction(async (p, ct) =>
        {
            if (p.GetValue(exitWithStdin))
            {
                // Our parent holds the other end of stdin: EOF means it is gone, so stop rather than train an orphan.
                new Thread(() =>
                {
                    try { while (Console.In.Read() >= 0) { } } catch (IOException) { }
                    Environment.Exit(TrialProcess.ExitOrphaned);
                }) { IsBackground = true, Name = "parent-watch" }.Start();
            }
            return await TrialProcess.RunAsync(p.GetValue(spec)!, p.GetValue(workdir)!, p.GetValue(resume), Executors, Console.Out, Console.Error, ct);
        });
        var group = new Command("trial", "run a single trial (used by trainer hosts)");
        group.Subcommands.Add(run);
        return group;
    }
}
