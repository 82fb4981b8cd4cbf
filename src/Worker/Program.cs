using System.CommandLine;
using YoloSweep.Contracts.Trials;
using YoloSweep.Hosting;
using YoloSweep.Worker;

// yolosweep-worker: trains one trial for a trainer host, which starts it as a child process so that a crash, a native
// fault or leaked GPU memory end with this process and never take the host down.
var spec = new Option<string>("--spec") { Description = "trial.json written by the trainer host", Required = true };
var workdir = new Option<string>("--workdir") { Description = "the trial's folder (checkpoints, metrics.json, logs)", Required = true };
var resume = new Option<bool>("--resume") { Description = "continue after the last checkpointed epoch" };
var exitWithStdin = new Option<bool>("--exit-with-stdin") { Description = "exit when stdin closes (the host that started this process died)" };
var root = new RootCommand("yolosweep-worker: runs one trial; JSON lines (started, epoch, finished, error) on stdout, the log on stderr")
    { spec, workdir, resume, exitWithStdin };
root.SetAction(async (p, ct) =>
{
    // The log goes to stderr, which the host writes to the trial's log file; stdout carries only the protocol.
    Serilog.Log.Logger = Logging.Create(file: null, console: true).ForContext("SourceContext", "Worker");
    if (p.GetValue(exitWithStdin))
    {
        // The host holds the other end of stdin: EOF means it is gone, so stop rather than train an orphan.
        new Thread(() =>
        {
            try { while (Console.In.Read() >= 0) { } } catch (IOException) { }
            Environment.Exit(TrialProcessProtocol.ExitOrphaned);
        }) { IsBackground = true, Name = "parent-watch" }.Start();
    }
    var code = await TrialProcess.RunAsync(p.GetValue(spec)!, p.GetValue(workdir)!, p.GetValue(resume), TrialExecutors.For, Console.Out, Console.Error, ct);
    await Serilog.Log.CloseAndFlushAsync();
    return code;
});
return await root.Parse(args).InvokeAsync();
