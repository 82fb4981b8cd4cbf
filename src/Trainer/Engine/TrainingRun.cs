using System.Diagnostics;
using System.Text.Json;
using Serilog;
using YoloSweep.Models;
using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Loss;
using YoloSweep.Trainer.Metrics;
using YoloSweep.Trainer.Optim;
using YoloSweep.Trainer.Reports;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Engine;

/// <summary>Trainer state saved beside the weights after every epoch (weights/last.json).</summary>
public sealed record TrainerState(int EpochsDone, long EmaUpdates, int LastOptStep, double BestFitness, double TrainSeconds,
    long ImagesSeen, int Seed, string Model, int Epochs, int Batch, int ImgSize, int BestEpoch = 0, bool Stopped = false,
    Dictionary<string, double>? GradScaler = null)
{
    // what --resume checks the command against (absent in files of older versions)
    public string? Scale { get; init; }
    public int Nc { get; init; }
    public Dictionary<string, string>? Knobs { get; init; }
}

/// <summary>A YOLO training run: data in, trained weights, per-epoch results and final metrics out. This is the
/// library entry point the CLI (`yolosweep train`) and the trial executor call.</summary>
public static class TrainingRun
{
    public static TrainResult Run(TrainOptions o, IProgress<EpochReport>? progress = null, CancellationToken ct = default, ILogger? log = null,
        IProgress<BatchReport>? batches = null)
    {
        var runDir = Path.GetFullPath(o.Project);
        var weightsDir = Path.Combine(runDir, "weights");
        Directory.CreateDirectory(weightsDir);
        // every run leaves a readable train.log beside its results, whoever else listens to the log
        using var file = new LoggerConfiguration().MinimumLevel.Information()
            .WriteTo.File(Path.Combine(runDir, "train.log"), outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss} {Level:u3} {Message:lj}{NewLine}{Exception}")
            .CreateLogger();
        using var both = new LoggerConfiguration().MinimumLevel.Information().WriteTo.Logger(file).WriteTo.Logger(log ?? Log.Logger).CreateLogger();
        try { return Train(o, runDir, weightsDir, progress, batches, both, ct); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            file.Error("Training stopped: {Reason}", e.Message);  // the caller reports it; the log keeps it
            throw;
        }
    }

    static TrainResult Train(TrainOptions o, string runDir, string weightsDir, IProgress<EpochReport>? progress, IProgress<BatchReport>? batches,
        ILogger log, CancellationToken ct)
    {
        var devices = ParseDevices(o.Device);
        var hostLock = new HostLock(o.HostLock, log);
        // shared while this run computes (setup, epochs, final validation, plots), let go between epochs and for the
        // latency step, which holds it exclusive: no other trial on the host computes while a latency is measured
        using var work = new HostWork(hostLock, log, ct);
        work.Begin("loading the data");
        var cfg = DatasetConfig.Load(o.Data);
        var lastJson = Path.Combine(weightsDir, "last.json");
        var saved = o.Resume ? ReadState(runDir) : null;
        if (saved is not null) CheckResumable(saved, o, cfg.Nc, runDir);
        using var trainSet = YoloDataset.Open(cfg.Train, cfg.Nc, o.ImgSize, o.CacheRam, log, "train");
        using var valSet = YoloDataset.Open(cfg.Val, cfg.Nc, o.ImgSize, o.CacheRam, log, "val");
        var trainLoader = new DetectionLoader(trainSet, o.Batch, true, o.Augment, o.Workers, prefetch: 4, seed: o.Seed);
        var valLoader = new DetectionLoader(valSet, Math.Max(o.Batch * 2, 1), false, o.Augment, o.Workers, prefetch: 4, seed: o.Seed);
        RunReports.WriteArgsYaml(Path.Combine(runDir, "args.yaml"), o, runDir);
        if (o.Plots && saved is null)
            RunPlots.Try("labels.jpg", () => RunPlots.Labels(trainSet.Samples.SelectMany(x => x.Labels).ToList(), cfg.Names, Path.Combine(runDir, "labels.jpg")), log);

        DetectionModel Build() { manual_seed((ulong)o.Seed); return ModelCatalog.Build(o.Model, o.Scale, cfg.Nc, o.Knobs); }
        var model = Build();
        var gflops = model.GFlops();  // thop convention at 640, on the CPU before the model moves
        using var dp = new DataParallel(Build, devices, model);
        using var emaModel = ModelCatalog.Build(o.Model, o.Scale, cfg.Nc, o.Knobs);
        emaModel.to(devices[0]);
        var main = dp.Main;
        var nb = trainLoader.BatchesPerEpoch;
        var schedule = new Schedule(o.Optim, o.Epochs, nb, o.Batch);
        using var opt = Optimizers.Build(main, o.Optim, schedule.WeightDecay);
        schedule.Start(opt);
        using var ema = new ModelEma(main, o.Optim.EmaDecay, o.Optim.EmaTau);
        var lossNames = LossNames(main.Family);
        // AMP on CUDA as yolov5/ultralytics: forward and loss under autocast (thread-local, so it is entered on each
        // replica's thread), the loss scaled before backward, the step through the scaler (skipped on inf/NaN
        // gradients). On the CPU the scaler is disabled: unscale_/update do nothing and step() is opt.step().
        var useAmp = o.Amp && devices[0].type == DeviceType.CUDA;
        using var scaler = new amp.GradScaler("cuda", enabled: useAmp);
        var familyLoss = MakeLoss(main, o.ImgSize);
        Func<DetectionModel, Tensor, Tensor, (Tensor, Tensor)> lossFn = !useAmp ? familyLoss : (m, x, t) =>
        {
            Tensor loss, items;
            using (autocast("cuda")) (loss, items) = familyLoss(m, x, t);
            return (scaler.scale(loss), items);
        };
        var valLoss = MakeOutputLoss(emaModel, o.ImgSize);
        WeightsInfo Info(int epoch) => WeightsFile.Describe(main, o.Model, o.Scale, cfg.Names, o.ImgSize, epoch);

        var csv = Path.Combine(runDir, "results.csv");
        var state = new TrainerState(0, 0, -1, 0, 0, 0, o.Seed, o.Model, o.Epochs, o.Batch, o.ImgSize) { Scale = o.Scale, Nc = cfg.Nc, Knobs = new(o.Knobs) };
        if (saved is not null)
        {
            state = saved;
            if (saved.GradScaler is { } gs) scaler.load_state_dict(gs);
            LoadCheckpoint(Path.Combine(weightsDir, "last.safetensors"), main, ema, opt);
            ema.Updates = state.EmaUpdates;
            dp.Broadcast();
            RunReports.TruncateCsv(csv, state.EpochsDone);
            log.Information("Resuming {Run} after epoch {Epoch}/{Epochs}", runDir, state.EpochsDone, o.Epochs);
        }
        else if (File.Exists(csv)) File.Delete(csv);

        var reports = RunReports.ReadCsv(csv, lossNames);
        var header = RunReports.Header(lossNames);
        var lastOptStep = state.LastOptStep;
        var trainSeconds = state.TrainSeconds;
        var imagesSeen = state.ImagesSeen;
        var best = state.BestFitness;
        var bestEpoch = state.BestEpoch;
        var stopped = state.Stopped;
        DetectionSummary summary = DetectionSummary.Empty;
        IReadOnlyDictionary<string, double>? valLosses = null;
        var stopAt = o.StopAfterEpochs is { } s ? Math.Min(o.Epochs, state.EpochsDone + s) : o.Epochs;
        log.Information("Training {Model}-{Scale} ({Family}, {Params} params, knobs {Knobs}) on {Data}: {Train} train / {Val} val images, {Epochs} epochs, batch {Batch}, {Imgsz} px, devices {Devices}, AMP {Amp}, accumulate {Acc}, {Optimizer} lr0 {Lr0} weight decay {Wd}; run folder {Run}",
            o.Model, o.Scale, main.Family, main.ParameterCount, main.Knobs, cfg.YamlPath, trainSet.Count, valSet.Count, o.Epochs, o.Batch, o.ImgSize, string.Join(",", devices), useAmp, schedule.NominalAccumulate, Optimizers.Resolve(o.Optim.Optimizer), o.Optim.Lr0, schedule.WeightDecay, runDir);

        for (var epoch = state.EpochsDone; epoch < stopAt && !stopped; epoch++)
        {
            ct.ThrowIfCancellationRequested();
            work.Begin($"epoch {epoch + 1}");
            manual_seed((ulong)SeedMix.Mix(o.Seed, epoch, 99));  // per-epoch torch RNG: a resumed epoch draws the same numbers
            foreach (var r in dp.Replicas) r.train();
            var mosaic = epoch < o.Epochs - o.CloseMosaic;
            if (epoch == o.Epochs - o.CloseMosaic && o.CloseMosaic > 0) log.Information("Closing mosaic for the last {N} epochs", o.CloseMosaic);
            var sw = Stopwatch.StartNew();
            var sums = new double[lossNames.Length];
            var seen = 0;
            var i = 0;
            foreach (var batch in trainLoader.Epoch(epoch, mosaic, ct))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                var ni = i + nb * epoch;
                if (o.Plots && ni < 3)
                    RunPlots.Try($"train_batch{ni}.jpg", () => BatchImages.Save(b.Images, BatchImages.FromTargets(b.Targets, o.ImgSize, b.Size), cfg.Names, Path.Combine(runDir, $"train_batch{ni}.jpg")), log);
                var accumulate = schedule.Apply(opt, ni, epoch);
                Tensor items;
                try { items = dp.ForwardBackward(b.Images, b.Targets, lossFn); }
                catch (TorchException e) when (e.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase))
                {
                    throw OutOfMemory(o, devices, e);
                }
                var v = items.ToArray<float>();
                if (v.Any(x => !float.IsFinite(x)))
                    throw new TrainingException($"loss became {string.Join("/", v.Select(x => x.ToString("G4")))} ({string.Join(", ", lossNames)}) at epoch {epoch + 1}, batch {i + 1}, lr {opt.param_groups[Schedule.WeightGroup].lr:G4}: training stopped. Lower lr0 or check the labels.");
                for (var k = 0; k < v.Length; k++) sums[k] += v[k];
                if (ni - lastOptStep >= accumulate)
                {
                    if (dp.Replicas.Count > 1) dp.AverageGradients();
                    scaler.unscale_(opt);
                    ClipGradNorm(main, o.Optim.ClipGradNorm);
                    scaler.step(opt);
                    scaler.update();
                    opt.zero_grad();
                    ema.Update(main);
                    dp.Broadcast();
                    lastOptStep = ni;
                }
                seen += b.Size;
                i++;
                batches?.Report(new BatchReport("train", epoch, o.Epochs, i, nb, lossNames.Select((n, k) => (n, sums[k] / i)).ToDictionary(x => x.n, x => x.Item2),
                    (int)b.Targets.size(0), sw.Elapsed.TotalSeconds));
            }
            sw.Stop();
            trainSeconds += sw.Elapsed.TotalSeconds;
            imagesSeen += seen;
            var lastEpoch = epoch == o.Epochs - 1;
            if (o.ValEveryEpoch || lastEpoch)
            {
                ema.CopyTo(emaModel);
                var vsw = Stopwatch.StartNew();
                var val = Validator.Evaluate(emaModel, valLoader, devices[0], new ValOptions
                {
                    Loss = valLoss, LossNames = lossNames,
                    OnBatch = (k, n) => batches?.Report(new BatchReport("val", epoch, o.Epochs, k, n, new Dictionary<string, double>(), 0, vsw.Elapsed.TotalSeconds)),
                }, ct);
                (summary, valLosses) = (val.Summary, val.Losses);
            }
            var losses = lossNames.Select((n, k) => (n, sums[k] / Math.Max(1, i))).ToDictionary(x => x.n, x => x.Item2);
            var report = new EpochReport(epoch, o.Epochs, losses, summary.P, summary.R, summary.Map50, summary.Map50_95, summary.Fitness,
                opt.param_groups[Schedule.WeightGroup].lr, seen / sw.Elapsed.TotalSeconds, sw.Elapsed.TotalSeconds) { ValLosses = valLosses };
            reports.Add(report);
            RunReports.AppendCsv(csv, header, RunReports.Row(report, lossNames, (opt.param_groups[0].lr, opt.param_groups[1].lr, opt.param_groups[2].lr)));
            if (summary.Fitness > best || epoch == 0)
            {
                best = Math.Max(best, summary.Fitness);
                bestEpoch = epoch;
                WeightsFile.Save(Path.Combine(weightsDir, "best.safetensors"), ema.State, Info(epoch + 1));
            }
            // ultralytics EarlyStopping: stop when fitness has not improved for `patience` epochs
            stopped = o.Patience > 0 && o.ValEveryEpoch && epoch - bestEpoch >= o.Patience && epoch < o.Epochs - 1;
            state = new TrainerState(epoch + 1, ema.Updates, lastOptStep, best, trainSeconds, imagesSeen, o.Seed, o.Model, o.Epochs, o.Batch, o.ImgSize, bestEpoch, stopped,
                useAmp ? scaler.state_dict() : null) { Scale = o.Scale, Nc = cfg.Nc, Knobs = new(o.Knobs) };
            log.Information("Epoch {Epoch}/{Epochs} losses {Losses} val losses {ValLosses} P {P:F3} R {R:F3} mAP50 {Map50:F3} mAP50-95 {Map:F3} {Ips:F1} img/s",
                epoch + 1, o.Epochs, losses, valLosses, summary.P, summary.R, summary.Map50, summary.Map50_95, report.ImagesPerSecond);
            // Reported before the checkpoint commits: a worker killed in between resumes from the epoch before and
            // trains this one again (the Silo keeps one record of it); the other order would skip its report for good.
            progress?.Report(report);
            SaveCheckpoint(Path.Combine(weightsDir, "last.safetensors"), main, ema, opt, Info(epoch + 1));
            File.WriteAllText(lastJson + ".tmp", JsonSerializer.Serialize(state));
            File.Move(lastJson + ".tmp", lastJson, true);
            if (stopped)
                log.Information("Stopping early after epoch {Epoch}: no improvement for {Patience} epochs (best fitness {Best:F4} at epoch {BestEpoch})",
                    epoch + 1, o.Patience, best, bestEpoch + 1);
            work.End();  // a latency step waiting for the host gets in here
        }

        // the final numbers are those of best.safetensors, validated once more with plots, as ultralytics' final_eval
        var done = state.EpochsDone >= o.Epochs || stopped;
        if (state.EpochsDone > 0 && (done || summary.PerClass.Count == 0))
        {
            work.Begin("the final validation");
            var bestPath = Path.Combine(weightsDir, "best.safetensors");
            if (done && File.Exists(bestPath)) LoadWeights(emaModel, bestPath);
            else ema.CopyTo(emaModel);
            var final = Validator.Evaluate(emaModel, valLoader, devices[0], new ValOptions
            {
                Loss = valLoss, LossNames = lossNames, Names = cfg.Names, PlotDir = o.Plots && done ? runDir : null, Log = log,
            }, ct);
            summary = final.Summary;
            if (done) log.Information("Validating {Best} (epoch {Epoch}): {Table}", bestPath, bestEpoch + 1, "\n" + RunReports.ClassTable(summary, cfg.Names));
        }
        work.End();
        var latency = LatencyStep.Run(emaModel, o.ImgSize, devices[0], hostLock, o.Latency, log, ct);
        work.Begin("writing the results");
        var result = new TrainResult(summary.Map50, summary.Map50_95, summary.P, summary.R, summary.Fitness,
            main.ParameterCount, gflops, latency.MedianMs,
            state.EpochsDone, trainSeconds, imagesSeen / Math.Max(trainSeconds, 1e-9), runDir, summary.PerClass)
            { Images = summary.Images, BestEpoch = bestEpoch + 1, Latency = latency };
        RunReports.WriteMetricsJson(Path.Combine(runDir, "metrics.json"), result, cfg.Names, reports);
        if (o.Plots) RunPlots.Try("results.png", () => RunPlots.Results(csv, runDir), log);
        log.Information("Results saved to {Run}", runDir);
        return result;
    }

    /// <summary>A resumed run must be the run that was started: the same model, scale, classes, knobs, image size,
    /// epochs and batch (what weights/last.json records), or the checkpoint cannot be continued.</summary>
    public static void CheckResumable(TrainerState saved, TrainOptions o, int nc, string runDir)
    {
        var diffs = new List<string>();
        void Check<T>(string what, T was, T now) { if (!EqualityComparer<T>.Default.Equals(was, now)) diffs.Add($"{what} {was} (now {now})"); }
        Check("model", saved.Model, o.Model);
        if (saved.Scale is { } sc) Check("scale", sc, o.Scale);
        if (saved.Nc > 0) Check("nc", saved.Nc, nc);
        if (saved.Knobs is { } k)
        {
            static string Text(IReadOnlyDictionary<string, string> d) => d.Count == 0 ? "none" : string.Join(",", d.OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"{x.Key}={x.Value}"));
            Check("knobs", Text(k), Text(o.Knobs));
        }
        Check("imgsz", saved.ImgSize, o.ImgSize);
        Check("epochs", saved.Epochs, o.Epochs);
        Check("batch", saved.Batch, o.Batch);
        if (diffs.Count > 0)
            throw new TrainingException($"--resume: {runDir} was trained with {string.Join(", ", diffs)}; resume it with its own settings (see its args.yaml), or start a new run without --resume");
    }

    static void LoadWeights(DetectionModel m, string path)
    {
        var t = safetensors.load_file(path);
        try { m.load_state_dict(t); }
        finally { foreach (var v in t.Values) v.Dispose(); }
    }

    /// <summary>The trainer state of a run folder's last checkpoint (weights/last.json), or null when there is none.</summary>
    public static TrainerState? ReadState(string runDir)
    {
        var path = Path.Combine(runDir, "weights", "last.json");
        if (!File.Exists(path) || !File.Exists(Path.Combine(runDir, "weights", "last.safetensors"))) return null;
        return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path));
    }

    public static Device[] ParseDevices(string spec)
    {
        var parts = spec.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new ArgumentException("--device: empty");
        // "cuda:0,1" → cuda:0, cuda:1
        var devs = parts.Select(p => int.TryParse(p, out var k) ? new Device(DeviceType.CUDA, k) : Device.Parse(p)).ToArray();
        foreach (var d in devs.Where(d => d.type == DeviceType.CUDA))
            if (!cuda.is_available() || d.index >= cuda.device_count())
                throw new ArgumentException($"--device {spec}: {d} is not available ({(cuda.is_available() ? cuda.device_count() + " CUDA devices" : "no CUDA")})");
        return devs;
    }

    static TrainingException OutOfMemory(TrainOptions o, Device[] devices, TorchException e)
    {
        var d = devices[0];
        var mem = d.type == DeviceType.CUDA ? cuda.memory_stats(d.index) : default;
        return new TrainingException($"out of memory on {d} at batch {o.Batch} ({o.Batch / devices.Length} per device, {o.ImgSize} px): " +
            $"{mem.allocated / 1048576.0:F0} MiB allocated, {mem.reserved / 1048576.0:F0} MiB reserved of {mem.total / 1048576.0:F0} MiB. Lower --batch or --imgsz.", e);
    }

    public static string[] LossNames(string family) => family switch
    {
        "v5" => ["box_loss", "obj_loss", "cls_loss"],
        "v8" => ["box_loss", "cls_loss", "dfl_loss"],
        _ => ["box_om", "cls_om", "dfl_om", "box_oo", "cls_oo", "dfl_oo"],
    };

    /// <summary>The loss of the model's family (yolov5 ComputeLoss with train.py's hyp scaling, v8DetectionLoss, v10
    /// dual assignment) as a function of (replica, images, targets) → (loss to backpropagate, detached items).</summary>
    public static Func<DetectionModel, Tensor, Tensor, (Tensor, Tensor)> MakeLoss(DetectionModel m, int imgsz)
    {
        var onOutputs = MakeOutputLoss(m, imgsz);
        return (model, x, t) => onOutputs(model.Forward(x), t);
    }

    /// <summary>The family's loss on a forward pass's outputs (train or eval mode: both carry the raw head maps), for
    /// the validation losses.</summary>
    public static Func<HeadOutput, Tensor, (Tensor, Tensor)> MakeOutputLoss(DetectionModel m, int imgsz)
    {
        var nc = (int)m.Nc;
        var strides = m.Strides.Select(s => (double)s).ToArray();
        switch (m.Family)
        {
            case "v5":
                var anchors = AnchorsGrid(m);
                var v5 = new V5Loss(new V5LossHyp().ScaledFor(anchors.Length, nc, imgsz), nc, anchors);
                return (outs, t) => { var r = v5.Compute(outs.Raw, t); return (r.Loss, r.Items); };
            case "v8":
                var v8 = new V8Loss(new V8LossHyp(), nc, strides, (int)m.RegMax);
                return (outs, t) => { var r = v8.Compute(outs.Raw, t); return (r.Loss, r.Items); };
            default:
                var v10 = new V10Loss(new V8LossHyp(), nc, strides, (int)m.RegMax);
                return (outs, t) => { var r = v10.Compute(outs.Raw, outs.One2One!.Raw, t); return (r.Loss, r.Items); };
        }
    }

    /// <summary>yolov5 anchors in grid units [level][anchor][w, h]: the Detect head's anchors buffer, which the model
    /// builder divided by the strides (and reordered by check_anchor_order).</summary>
    static float[][][] AnchorsGrid(DetectionModel m)
    {
        var head = (DetectV5)m.Head;
        using var a = head.anchors.cpu();
        var v = a.ToArray<float>();
        var (nl, na) = ((int)head.nl, (int)head.na);
        return Enumerable.Range(0, nl).Select(l => Enumerable.Range(0, na).Select(k => new[] { v[(l * na + k) * 2], v[(l * na + k) * 2 + 1] }).ToArray()).ToArray();
    }

    /// <summary>torch.nn.utils.clip_grad_norm_ (yolov5 v7.0 clips at 10).</summary>
    public static void ClipGradNorm(nn.Module m, double maxNorm)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var grads = m.parameters().Select(p => p.grad).Where(g => g is not null).Cast<Tensor>().ToList();
        if (grads.Count == 0) return;
        var total = stack(grads.Select(g => g.norm(2)).ToArray()).norm(2).item<float>();
        var coef = maxNorm / (total + 1e-6);
        if (coef < 1) foreach (var g in grads) g.mul_(coef);
    }

    static void SaveCheckpoint(string path, DetectionModel m, ModelEma ema, optim.Optimizer opt, WeightsInfo info)
    {
        using var scope = NewDisposeScope();  // the optimiser's hyper-parameter tensors
        var entries = new List<(string, Tensor)>();
        entries.AddRange(m.state_dict().Select(e => ("model." + e.name, e.value)));
        entries.AddRange(ema.State.Select(e => ("ema." + e.name, e.value)));
        entries.AddRange(opt.state_dict().Select(e => ("optim." + e.name, e.value)));
        // gradients accumulated but not yet stepped carry over to the next epoch, as in yolov5
        var grads = m.named_parameters().Select(p => (p.name, g: p.parameter.grad)).Where(x => x.g is not null).ToList();
        entries.AddRange(grads.Select(g => ("grad." + g.name, g.g!)));
        WeightsFile.Save(path, entries, info);
        foreach (var g in grads) g.g!.Dispose();
    }

    static void LoadCheckpoint(string path, DetectionModel m, ModelEma ema, optim.Optimizer opt)
    {
        var t = safetensors.load_file(path);
        try
        {
            Dictionary<string, Tensor> Part(string prefix) => t.Where(kv => kv.Key.StartsWith(prefix)).ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value);
            var dev = m.parameters().First().device;
            try { m.load_state_dict(Part("model.")); }
            catch (ArgumentException e)
            {
                throw new TrainingException($"--resume: {path} does not fit {m.Name}-{m.Scale} (nc {m.Nc}): {e.Message.Split("; ")[0].Replace("load_state_dict: ", "")}");
            }
            var es = Part("ema.");
            using (no_grad())
                foreach (var (name, v) in ema.State)
                    if (es.TryGetValue(name, out var src)) v.copy_(src);
            opt.load_state_dict(Part("optim."));
            var gs = Part("grad.");
            foreach (var (name, p) in m.named_parameters())
                p.grad = gs.TryGetValue(name, out var g) ? g.to(dev).clone().DetachFromDisposeScope() : null;
        }
        finally { foreach (var v in t.Values) v.Dispose(); }
    }

}

