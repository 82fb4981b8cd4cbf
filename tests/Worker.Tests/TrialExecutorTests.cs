using Xunit.Abstractions;
using YoloSweep.Contracts.Trials;
using YoloSweep.Trainer.Optim;
using YoloSweep.Trainer.Tests;
using YoloSweep.Torch;
using YoloSweep.Worker;
using YoloSweep.Trainer.Engine;
using EpochReport = YoloSweep.Contracts.Trials.EpochReport;

namespace YoloSweep.Worker.Tests;

/// <summary>The real trial executor, in process: a trial of the tiny v8 model on the tiny synth set, then a
/// re-leased attempt that resumes from the trial folder's checkpoint.</summary>
public class TrialExecutorTests(TinySynth synth, ITestOutputHelper output) : IClassFixture<TinySynth>
{
    TrialSpec Spec(int epochs, SortedDictionary<string, string>? extra = null) => new()
    {
        Sweep = "exec-test", Model = Fixtures.TinyModel("tiny-v8"), Scale = "n", Seed = 2,
        // relative: resolved against the shared folder, as in a sweep
        Data = Path.GetRelativePath(Path.GetDirectoryName(synth.Dir)!, synth.Yaml),
        Train = new TrainSettings
        {
            Epochs = epochs, Imgsz = 64, Batch = 8, Optimizer = "SGD", Patience = 50,
            Extra = extra ?? new(StringComparer.Ordinal) { ["lr0"] = "0.05", ["warmup_epochs"] = "0", ["nbs"] = "8", ["close_mosaic"] = "4", ["workers"] = "1" },
        },
    };

    static string WorkDir() => Path.Combine(Path.GetTempPath(), "ys-trial-" + Guid.NewGuid().ToString("N")[..8]);

    [Fact]
    public async Task A_trial_trains_reports_every_epoch_and_a_second_attempt_resumes_from_its_checkpoint()
    {
        var shared = Path.GetDirectoryName(synth.Dir)!;
        Environment.SetEnvironmentVariable("YOLOSWEEP_SHARED_DIR", shared);
        var work = WorkDir();
        var spec = Spec(4);
        var exec = TrialExecutors.For(spec);
        Assert.IsType<TrainingTrialExecutor>(exec);

        // attempt 1 is cut off after epoch 2 (the lease expired): cancel once the second epoch is reported
        using var cts = new CancellationTokenSource();
        var first = new List<EpochReport>();
        Assert.Equal(1, exec.StartEpoch(spec, work, resume: true));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => exec.RunAsync(spec, work, false, e => { first.Add(e); if (e.Epoch == 2) cts.Cancel(); }, cts.Token));
        Assert.Equal([1, 2], first.Select(e => e.Epoch));
        Assert.Equal(["box_loss", "cls_loss", "dfl_loss", "val/box_loss", "val/cls_loss", "val/dfl_loss"], first[0].Losses.Keys);
        Assert.True(File.Exists(Path.Combine(work, "weights", "last.safetensors")));

        // attempt 2 (re-leased) resumes after the checkpointed epoch and finishes
        Assert.Equal(3, exec.StartEpoch(spec, work, resume: true));
        Assert.Equal(1, exec.StartEpoch(spec, work, resume: false));
        var second = new List<EpochReport>();
        var outcome = await exec.RunAsync(spec, work, true, second.Add, CancellationToken.None);
        Assert.Equal(3, outcome.StartEpoch);
        Assert.Equal([3, 4], second.Select(e => e.Epoch));
        var m = outcome.Metrics;
        output.WriteLine(System.Text.Json.JsonSerializer.Serialize(m));
        Assert.Equal(4, m.Epochs);
        Assert.InRange(m.Map50, 1e-4, 1);
        Assert.InRange(m.Map50_95, 1e-5, m.Map50);
        Assert.Equal(Math.Round(0.1 * m.Map50 + 0.9 * m.Map50_95, 5), m.Fitness, 4);
        // the trial's result is that of its best weights (best.safetensors, validated again), as ultralytics reports a run
        var best = first.Concat(second).MaxBy(e => e.Fitness)!;
        Assert.Equal(best.Map50, m.Map50, 4);
        using (var model = YoloSweep.Models.ModelCatalog.Build(spec.Model, "n", 4)) Assert.Equal(model.ParameterCount, m.Params);
        Assert.True(m.Gflops > 0 && m.LatencyMs > 0 && m.TrainSeconds > 0 && m.ImagesPerSecond > 0, System.Text.Json.JsonSerializer.Serialize(m));
        // how the latency was measured travels with it
        Assert.True(m.LatencyIqrMs >= 0);
        Assert.Equal((30, YoloSweep.Models.LatencyMeter.DefaultThreads(), spec.Train.Imgsz, "cpu"), (m.LatencyRuns, m.LatencyThreads, m.LatencyImgsz, m.LatencyDevice));
        Assert.Equal(5, File.ReadAllLines(Path.Combine(work, "results.csv")).Length);  // header + 4 epochs, each once
        Directory.Delete(work, true);
    }

    [Fact]
    public async Task Trial_process_metrics_json_keeps_the_engines_per_class_and_per_epoch_data_beside_the_agreed_fields()
    {
        Environment.SetEnvironmentVariable("YOLOSWEEP_SHARED_DIR", Path.GetDirectoryName(synth.Dir)!);
        var work = WorkDir();
        Directory.CreateDirectory(work);
        var spec = Spec(2);
        var specPath = Path.Combine(work, "trial.json");
        File.WriteAllText(specPath, YoloSweep.Contracts.Json.Serialize(spec));
        var stdout = new StringWriter();
        var code = await TrialProcess.RunAsync(specPath, work, false, TrialExecutors.For, stdout, new StringWriter(), default);
        Assert.True(code == 0, stdout.ToString());
        var finished = System.Text.Json.Nodes.JsonNode.Parse(stdout.ToString().Trim().Split('\n')[^1])!;
        Assert.Equal("finished", (string?)finished["event"]);

        var doc = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(work, TrialProcessProtocol.MetricsFile)))!.AsObject();
        // the agreed contract, at the top level, equal to what the child reported
        foreach (var k in new[] { "map50", "map50_95", "precision", "recall", "fitness", "params", "gflops", "latency_ms", "epochs", "train_seconds", "images_per_second" })
            Assert.Equal((double)finished["metrics"]![k]!, (double)doc[k]!);
        Assert.Equal(2, (int)doc["epochs"]!);
        var back = YoloSweep.Contracts.Json.Deserialize<TrialMetrics>(doc.ToJsonString())!;
        Assert.Equal((double)finished["metrics"]!["map50_95"]!, back.Map50_95);
        // the engine's extra data survived: one row per labelled val class (synth names), one per epoch
        var perClass = doc["per_class"]!.AsArray();
        var names = YoloSweep.Trainer.Data.DatasetConfig.Load(synth.Yaml).Names;
        Assert.InRange(perClass.Count, 1, names.Count);
        foreach (var c in perClass)
        {
            Assert.Equal(names[(int)c!["class"]!], (string?)c["name"]);
            Assert.True((int)c["labels"]! > 0);
            Assert.InRange((double)c["map50"]!, 0, 1);
        }
        Assert.Equal([1, 2], doc["per_epoch"]!.AsArray().Select(e => (int)e!["epoch"]!));
        Assert.False(File.Exists(Path.Combine(work, TrialProcessProtocol.MetricsFile + ".tmp")));
        Directory.Delete(work, true);
    }

    [Fact]
    public async Task Unknown_model_missing_dataset_and_bad_settings_are_setup_errors_not_retryable_failures()
    {
        Environment.SetEnvironmentVariable("YOLOSWEEP_SHARED_DIR", Path.GetDirectoryName(synth.Dir)!);
        var exec = new TrainingTrialExecutor();
        var work = WorkDir();
        var e1 = await Assert.ThrowsAsync<TrialSetupException>(() => exec.RunAsync(Spec(1) with { Model = "yolov9" }, work, false, _ => { }, default));
        Assert.Contains("unknown model 'yolov9'", e1.Message);
        var e2 = await Assert.ThrowsAsync<TrialSetupException>(() => exec.RunAsync(Spec(1) with { Data = "nowhere/data.yaml" }, work, false, _ => { }, default));
        Assert.Contains("nowhere/data.yaml", e2.Message);
        Assert.Contains("shared folder", e2.Message);
        var e3 = await Assert.ThrowsAsync<TrialSetupException>(() => exec.RunAsync(Spec(1, new(StringComparer.Ordinal) { ["lr0"] = "fast" }), work, false, _ => { }, default));
        Assert.Contains("lr0: 'fast' is not a number", e3.Message);
        var e4 = await Assert.ThrowsAsync<TrialSetupException>(() => exec.RunAsync(Spec(1) with { Knobs = new(StringComparer.Ordinal) { ["dsconv.block_size"] = "8" } }, work, false, _ => { }, default));
        output.WriteLine(string.Join("\n", e1.Message, e2.Message, e3.Message, e4.Message));
        Assert.Contains("dsconv.block_size", e4.Message);
        if (Directory.Exists(work)) Directory.Delete(work, true);
    }

    [Fact]
    public async Task A_nan_loss_fails_the_trial_as_an_ordinary_error_with_the_reason()
    {
        Environment.SetEnvironmentVariable("YOLOSWEEP_SHARED_DIR", Path.GetDirectoryName(synth.Dir)!);
        var work = WorkDir();
        var spec = Spec(1, new(StringComparer.Ordinal) { ["lr0"] = "1e30", ["warmup_epochs"] = "0", ["nbs"] = "8" });
        var e = await Assert.ThrowsAsync<TrainingException>(() => new TrainingTrialExecutor().RunAsync(spec, work, false, _ => { }, default));
        Assert.Contains("loss became", e.Message);
        Directory.Delete(work, true);
    }

    [Fact]
    public void Trial_optimizer_names_resolve_with_their_lr0_defaults_and_an_unknown_one_is_a_setup_error_listing_the_valid_ones()
    {
        var shared = Path.GetDirectoryName(synth.Dir)!;
        TrialSpec Spec(string optimizer, SortedDictionary<string, string>? extra = null) => new()
        {
            Sweep = "optim-test", Model = Fixtures.TinyModel("tiny-v8"), Scale = "n",
            Data = Path.GetRelativePath(shared, synth.Yaml),
            Train = new TrainSettings { Optimizer = optimizer, Extra = extra ?? new(StringComparer.Ordinal) },
        };
        TrainOptions Options(TrialSpec s) => TrainingTrialExecutor.Options(s, "work", false, shared, "cpu");

        Assert.Equal(("AdamW", 0.001), (Options(Spec("AdamW")).Optim.Optimizer, Options(Spec("AdamW")).Optim.Lr0));
        Assert.Equal(("Adam", 0.001), (Options(Spec("Adam")).Optim.Optimizer, Options(Spec("Adam")).Optim.Lr0));
        Assert.Equal(("SGD", 0.01), (Options(Spec("SGD")).Optim.Optimizer, Options(Spec("SGD")).Optim.Lr0));
        Assert.Equal(("SGD", 0.01), (Options(Spec("auto")).Optim.Optimizer, Options(Spec("auto")).Optim.Lr0));
        Assert.Equal(0.004, Options(Spec("AdamW", new(StringComparer.Ordinal) { ["lr0"] = "0.004" })).Optim.Lr0);

        var e = Assert.Throws<TrialSetupException>(() => Options(Spec("Lion")));
        output.WriteLine(e.Message);
        Assert.Contains("optimizer 'Lion' is not supported", e.Message);
        Assert.Contains("valid optimizers: SGD, Adam, AdamW, auto", e.Message);

        // the library entry point rejects it the same way before any training
        var a = Assert.Throws<ArgumentException>(() => Optimizers.Build(new torch.nn.Linear(2, 2), new OptimOptions(Optimizer: "RMSProp"), 0));
        Assert.Contains("valid optimizers: SGD, Adam, AdamW, auto", a.Message);
    }

    [Fact]
    public void The_worker_refuses_datasets_outside_the_shared_folder_and_dataset_folders_that_lead_out()
    {
        // Issue 11 item 5, the trainer's side: a spec that got past an older Silo (or straight into the database).
        var shared = Path.GetDirectoryName(synth.Dir)!;
        TrainOptions Options(string data) => TrainingTrialExecutor.Options(Spec(1) with { Data = data }, "work", false, shared, "cpu");
        var outside = Assert.Throws<TrialSetupException>(() => Options("/etc/hostname"));
        Assert.Contains("data '/etc/hostname' is not inside the shared folder", outside.Message);
        Assert.Contains("not inside the shared folder", Assert.Throws<TrialSetupException>(() => Options("../../../../etc/passwd")).Message);
        var scan = Path.Combine(shared, "scan-etc.yaml");
        File.WriteAllText(scan, "path: /etc\ntrain: .\nval: .\nnames: [a]\n");
        try
        {
            var e = Assert.Throws<TrialSetupException>(() => Options("scan-etc.yaml"));
            Assert.Contains("the dataset's path '/etc' is not inside the shared folder", e.Message);
        }
        finally { File.Delete(scan); }
        Assert.Equal(Path.GetFullPath(synth.Yaml), Options(Path.GetRelativePath(shared, synth.Yaml)).Data);
    }

    [Fact]
    public async Task A_model_that_cannot_run_at_the_image_size_is_a_setup_error_not_a_retryable_failure()
    {
        // Issue 11 item 16: EfficientViT's window attention at 160 px (stage maps 5×5) fails in the forward pass the
        // same way every time; the sweep parser refuses it, and a spec that gets here anyway fails once.
        Environment.SetEnvironmentVariable("YOLOSWEEP_SHARED_DIR", Path.GetDirectoryName(synth.Dir)!);
        var work = WorkDir();
        var spec = Spec(1) with { Model = "yolov5-efficientvit", Train = Spec(1).Train with { Imgsz = 160, Batch = 2 } };
        var e = await Assert.ThrowsAsync<TrialSetupException>(() => new TrainingTrialExecutor().RunAsync(spec, work, false, _ => { }, default));
        output.WriteLine(e.Message);
        Assert.Contains("the model cannot run at imgsz 160", e.Message);
        if (Directory.Exists(work)) Directory.Delete(work, true);
    }
}
