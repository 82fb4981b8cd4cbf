using System.Globalization;
using Serilog;
using YoloSweep.Contracts.Sweeps;
using YoloSweep.Contracts.Trials;
using YoloSweep.Models;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Engine;
using EngineEpoch = YoloSweep.Trainer.Engine.EpochReport;
using EpochReport = YoloSweep.Contracts.Trials.EpochReport;
using YoloSweep.Trainer.Optim;

namespace YoloSweep.Worker;

/// <summary>
/// Real training for a sweep trial: maps the <see cref="TrialSpec"/> to <see cref="TrainOptions"/> and runs
/// <see cref="TrainingRun.Run"/> with the trial's folder as the run folder, so the per-epoch checkpoints
/// (workDir/weights/last.*) are where a re-leased attempt resumes from. A spec that cannot run (unknown model or
/// knob, missing dataset, unsupported setting) raises <see cref="TrialSetupException"/> (not retried); NaN losses
/// and out-of-memory raise <see cref="TrainingException"/>, an ordinary failure the orchestrator may retry.
/// </summary>
public sealed partial class TrainingTrialExecutor(ILogger? log = null) : ITrialExecutor
{
    [System.Text.RegularExpressions.GeneratedRegex(@"must match the size|is invalid for input of size|Sizes of tensors must match|size mismatch|shape mismatch")]
    private static partial System.Text.RegularExpressions.Regex ShapeMismatch();

    readonly ILogger _log = log ?? Log.Logger;

    public int StartEpoch(TrialSpec spec, string workDir, bool resume) =>
        resume && TrainingRun.ReadState(workDir) is { } s ? s.EpochsDone + 1 : 1;

    public Task<TrialOutcome> RunAsync(TrialSpec spec, string workDir, bool resume, Action<EpochReport> onEpoch, CancellationToken ct)
    {
        var start = StartEpoch(spec, workDir, resume);
        var options = Options(spec, workDir, resume,
            Environment.GetEnvironmentVariable("YOLOSWEEP_SHARED_DIR"), Environment.GetEnvironmentVariable("YOLOSWEEP_DEVICES"));
        var log = _log.ForContext("Trial", spec.Id).ForContext("Sweep", spec.Sweep);
        // Training is CPU-bound and synchronous: a dedicated thread, not a pool thread.
        return Task.Factory.StartNew(() =>
        {
            TrainResult r;
            try
            {
                r = TrainingRun.Run(options, new Reporter(e => onEpoch(ToEpochReport(e))), ct, log);
            }
            catch (Exception e) when (e is DatasetException or ModelConfigException or ArgumentException)
            {
                throw new TrialSetupException($"trial {spec.Id} ({spec.Model}-{spec.Scale} {spec.KnobsText}): {e.Message}");
            }
            catch (Torch.TorchException e) when (e is not Torch.TorchOutOfMemoryException && ShapeMismatch().IsMatch(e.Message))
            {
                // Tensor shapes follow from the model and the settings alone: every attempt would fail the same way.
                throw new TrialSetupException($"trial {spec.Id} ({spec.Model}-{spec.Scale} {spec.KnobsText}): the model cannot run at imgsz " +
                                              $"{spec.Train.Imgsz} with these settings: {e.Message.Split('\n')[0]}");
            }
            return new TrialOutcome(ToMetrics(r), start);
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>The training options of a trial. <paramref name="sharedDir"/> resolves a relative dataset path;
    /// <paramref name="devices"/> is YOLOSWEEP_DEVICES ("cpu" or local GPU indices "0,1").</summary>
    public static TrainOptions Options(TrialSpec spec, string workDir, bool resume, string? sharedDir, string? devices)
    {
        if (string.IsNullOrWhiteSpace(spec.Data))
            throw new TrialSetupException($"trial {spec.Id}: the sweep names no dataset (`data:`)");
        string data;
        if (string.IsNullOrEmpty(sharedDir))
        {
            data = spec.Data;
            if (!File.Exists(data))
                throw new TrialSetupException($"trial {spec.Id}: dataset YAML {data} not found ('{spec.Data}' is resolved against the shared folder (YOLOSWEEP_SHARED_DIR unset))");
        }
        else
        {
            // Confined to the shared folder, links and '..' resolved; the refusal says nothing about what lies outside.
            try
            {
                data = SharedFolder.Resolve(sharedDir, spec.Data);
                var cfg = DatasetConfig.Load(data);
                foreach (var (what, path) in cfg.Train.Select(p => ("train", p)).Concat(cfg.Val.Select(p => ("val", p))).Prepend(("path", cfg.Root)))
                    SharedFolder.ResolveAny(sharedDir, path, $"the dataset's {what}");
            }
            catch (Exception e) when (e is ArgumentException or DatasetException)
            {
                throw new TrialSetupException($"trial {spec.Id}: {e.Message} ('{spec.Data}' is resolved against the shared folder {sharedDir})");
            }
        }
        var t = spec.Train;
        var optimizer = Optimizers.Resolve(t.Optimizer) ?? throw new TrialSetupException($"trial {spec.Id}: {Optimizers.UnknownMessage(t.Optimizer)}");
        var x = new ExtraSettings(spec);
        var defaults = new OptimOptions();
        var aug = new AugmentOptions();
        return new TrainOptions
        {
            Model = spec.Model, Scale = spec.Scale, Knobs = spec.Knobs, Seed = spec.Seed, Data = data,
            Epochs = t.Epochs, ImgSize = t.Imgsz, Batch = t.Batch, Patience = t.Patience,
            Device = string.IsNullOrWhiteSpace(devices) ? "cpu" : devices,
            Project = workDir, Resume = resume,
            Workers = x.Int("workers") ?? 2,
            CloseMosaic = x.Int("close_mosaic") ?? 10,
            CacheRam = x.Bool("cache") ?? true,
            Amp = x.Bool("amp") ?? true,
            ValEveryEpoch = x.Bool("val") ?? true,
            Optim = defaults with
            {
                Optimizer = optimizer, Lr0 = x.Double("lr0") ?? Optimizers.DefaultLr0(optimizer), Lrf = x.Double("lrf") ?? defaults.Lrf,
                Momentum = x.Double("momentum") ?? defaults.Momentum, WeightDecay = x.Double("weight_decay") ?? defaults.WeightDecay,
                WarmupEpochs = x.Double("warmup_epochs") ?? defaults.WarmupEpochs, WarmupMomentum = x.Double("warmup_momentum") ?? defaults.WarmupMomentum,
                WarmupBiasLr = x.Double("warmup_bias_lr") ?? defaults.WarmupBiasLr, Cosine = x.Bool("cos_lr") ?? defaults.Cosine,
                NominalBatch = x.Int("nbs") ?? defaults.NominalBatch,
            },
            Augment = aug with
            {
                Mosaic = x.Double("mosaic") ?? aug.Mosaic, FlipLR = x.Double("fliplr") ?? aug.FlipLR,
                HsvH = x.Double("hsv_h") ?? aug.HsvH, HsvS = x.Double("hsv_s") ?? aug.HsvS, HsvV = x.Double("hsv_v") ?? aug.HsvV,
            },
        };
    }

    /// <summary>The sweep's pass-through train settings (text), parsed with errors that name the setting.</summary>
    sealed class ExtraSettings(TrialSpec spec)
    {
        string? Text(string key) => spec.Train.Extra.TryGetValue(key, out var v) ? v : null;

        TrialSetupException Bad(string key, string v, string expected) =>
            new($"trial {spec.Id}: train setting {key}: '{v}' is not {expected}");

        public double? Double(string key) => Text(key) is not { } v ? null
            : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw Bad(key, v, "a number");

        public int? Int(string key) => Text(key) is not { } v ? null
            : int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw Bad(key, v, "an integer");

        public bool? Bool(string key) => Text(key) is not { } v ? null
            : v.ToLowerInvariant() switch { "true" or "1" or "yes" => true, "false" or "0" or "no" => false, _ => throw Bad(key, v, "true or false") };
    }

    /// <summary>The epoch as the Silo stores it; losses are the training ones by name (box_loss, …) and, when the epoch
    /// was validated, the validation ones as val/NAME (finite ones only: the Silo refuses a report with any other).</summary>
    public static EpochReport ToEpochReport(EngineEpoch e) => new()
    {
        Epoch = e.Epoch + 1,
        Losses = new SortedDictionary<string, double>(e.Losses
            .Concat((e.ValLosses ?? new Dictionary<string, double>()).Where(kv => double.IsFinite(kv.Value))
                .Select(kv => KeyValuePair.Create("val/" + kv.Key, kv.Value)))
            .ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal),
        Map50 = e.Map50, Map50_95 = e.Map50_95, Fitness = e.Fitness, Lr = e.Lr,
    };

    public static TrialMetrics ToMetrics(TrainResult r) => new()
    {
        Map50 = Math.Round(r.Map50, 5), Map50_95 = Math.Round(r.Map50_95, 5), Precision = Math.Round(r.Precision, 5),
        Recall = Math.Round(r.Recall, 5), Fitness = Math.Round(r.Fitness, 5), Params = r.Params, Gflops = Math.Round(r.Gflops, 2),
        LatencyMs = Math.Round(r.LatencyMs, 3), Epochs = r.Epochs, TrainSeconds = Math.Round(r.TrainSeconds, 2),
        ImagesPerSecond = Math.Round(r.ImagesPerSecond, 1),
    };

    sealed class Reporter(Action<EngineEpoch> a) : IProgress<EngineEpoch>
    {
        public void Report(EngineEpoch value) => a(value);
    }
}
