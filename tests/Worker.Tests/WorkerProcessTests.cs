using System.Text.Json;
using YoloSweep.Testing;

namespace YoloSweep.Worker.Tests;

/// <summary>yolosweep-worker as a trainer host starts it: a real process speaking the JSON-lines protocol.</summary>
public sealed class WorkerProcessTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("yolosweep-worker-").FullName;

    void Write(string name, string text) => File.WriteAllText(Path.Combine(_dir, name), text);

    [Fact]
    public async Task The_worker_streams_json_lines_writes_metrics_and_resumes_from_its_checkpoint()
    {
        var spec = new Contracts.Trials.TrialSpec
        {
            Sweep = "t", Model = "yolov5", Scale = "n", Seed = 0,
            Train = new Contracts.Trials.TrainSettings { Epochs = 4, Simulate = new Contracts.Trials.SimulateSettings { SecondsPerEpoch = 0.01 } },
        };
        Write("trial.json", Contracts.Json.Serialize(spec));
        var work = Path.Combine(_dir, "work");
        var (code, stdout, stderr) = await CliProcess.RunAsync(_dir, ["--spec", "trial.json", "--workdir", work], program: CliProcess.WorkerDll);
        Assert.True(code == 0, stderr);
        var events = stdout.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["started", "epoch", "epoch", "epoch", "epoch", "finished"], events.Select(e => e.GetProperty("event").GetString()));
        Assert.Equal(1, events[0].GetProperty("start_epoch").GetInt32());
        Assert.True(events[1].GetProperty("epoch").GetProperty("losses").GetProperty("box").GetDouble() > 0);
        var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "metrics.json"))).RootElement;
        foreach (var key in new[] { "map50", "map50_95", "precision", "recall", "fitness", "params", "gflops", "latency_ms", "epochs", "train_seconds", "images_per_second" })
            Assert.True(metrics.TryGetProperty(key, out _), key);
        Assert.Equal(4, metrics.GetProperty("epochs").GetInt32());

        // Pretend the run died after epoch 2: --resume continues at 3 and gives the same final mAP.
        File.WriteAllText(Path.Combine(work, "last.ckpt.json"), $"{{\"trial_id\":\"{spec.Id}\",\"epoch\":2,\"train_seconds\":0.02}}");
        var resumed = await CliProcess.RunAsync(_dir, ["--spec", "trial.json", "--workdir", work, "--resume"], program: CliProcess.WorkerDll);
        Assert.Equal(0, resumed.Code);
        var lines = resumed.Out.Trim().Split('\n').Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, lines[0].GetProperty("start_epoch").GetInt32());
        // Epochs 1 and 2 are reported again from the trial's journal (the Silo may never have heard them), then 3 and 4 train.
        var reported = lines.Where(l => l.GetProperty("event").GetString() == "epoch").Select(l => l.GetProperty("epoch")).ToList();
        Assert.Equal([1, 2, 3, 4], reported.Select(e => e.GetProperty("epoch").GetInt32()));
        Assert.Equal(events[1].GetProperty("epoch").GetProperty("map50_95").GetDouble(), reported[0].GetProperty("map50_95").GetDouble());
        Assert.Equal(metrics.GetProperty("map50_95").GetDouble(), JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "metrics.json"))).RootElement.GetProperty("map50_95").GetDouble());

        var bad = await CliProcess.RunAsync(_dir, ["--spec", "missing.json", "--workdir", work], program: CliProcess.WorkerDll);
        Assert.Equal(2, bad.Code);
    }

    [Fact]
    public async Task An_orphaned_worker_stops_when_its_parent_goes_away()
    {
        var spec = new Contracts.Trials.TrialSpec
        {
            Sweep = "t", Model = "yolov5", Scale = "n",
            Train = new Contracts.Trials.TrainSettings { Epochs = 1000, Simulate = new Contracts.Trials.SimulateSettings { SecondsPerEpoch = 0.05 } },
        };
        Write("long.json", Contracts.Json.Serialize(spec));
        await using var child = CliProcess.Start(_dir, ["--spec", "long.json", "--workdir", Path.Combine(_dir, "w"), "--exit-with-stdin"], program: CliProcess.WorkerDll);
        await Task.Delay(1500);
        Assert.False(child.HasExited);
        child.CloseStdin();
        Assert.Equal(3, await child.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
