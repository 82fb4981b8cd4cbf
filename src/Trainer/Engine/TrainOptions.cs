using System.Text.Json.Serialization;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Optim;

namespace YoloSweep.Trainer.Engine;

/// <summary>Everything a training run needs (what `yolosweep train` and a trial spec carry).</summary>
public sealed record TrainOptions
{
    public required string Model { get; init; }
    public string Scale { get; init; } = "n";
    public required string Data { get; init; }
    public int Epochs { get; init; } = 100;
    public int ImgSize { get; init; } = 640;
    public int Batch { get; init; } = 16;
    /// <summary>"cpu", "cuda:0", "cuda:0,1" or "cpu,cpu" (CPU replicas, for tests).</summary>
    public string Device { get; init; } = "cpu";
    public IReadOnlyDictionary<string, string> Knobs { get; init; } = new Dictionary<string, string>();
    public int Seed { get; init; } = 0;
    public bool Resume { get; init; }
    /// <summary>Run folder: results.csv, args.yaml, metrics.json, train.log, plots, weights/.</summary>
    public string Project { get; init; } = "runs/train";
    /// <summary>Write the plots (labels.jpg, train_batch*.jpg, results.png, curves, confusion matrix, val_batch*.jpg).</summary>
    public bool Plots { get; init; } = true;
    public int Workers { get; init; } = 2;
    public int CloseMosaic { get; init; } = 10;
    public bool CacheRam { get; init; } = true;
    public bool Amp { get; init; } = true;
    public OptimOptions Optim { get; init; } = new();
    public AugmentOptions Augment { get; init; } = new();
    /// <summary>Early stopping: epochs without a fitness improvement before the run stops (0 = never).</summary>
    public int Patience { get; init; } = 100;
    /// <summary>Validate every epoch (true) or only after the last one.</summary>
    public bool ValEveryEpoch { get; init; } = true;
    /// <summary>Stop after this many epochs in this process (for tests that simulate a crash); null = all.</summary>
    [JsonIgnore] public int? StopAfterEpochs { get; init; }
    /// <summary>The host lock file (<see cref="Engine.HostLock"/>); null: YOLOSWEEP_HOST_LOCK or the temp folder's.</summary>
    [JsonIgnore] public string? HostLock { get; init; }
    /// <summary>The latency step's warm-up, timed runs and thread count.</summary>
    [JsonIgnore] public Models.LatencyOptions Latency { get; init; } = new();
}

/// <summary>One epoch's numbers, reported as soon as the epoch is validated.</summary>
public sealed record EpochReport(int Epoch, int Epochs, IReadOnlyDictionary<string, double> Losses, double Precision, double Recall,
    double Map50, double Map50_95, double Fitness, double Lr, double ImagesPerSecond, double Seconds)
{
    /// <summary>The training losses on the validation set (empty when the epoch was not validated).</summary>
    public IReadOnlyDictionary<string, double>? ValLosses { get; init; }
}

/// <summary>Progress inside an epoch, after every batch: phase "train" or "val", batch i of n, the running mean
/// losses (train), the instances in the batch and the seconds since the phase started.</summary>
public sealed record BatchReport(string Phase, int Epoch, int Epochs, int Batch, int Batches, IReadOnlyDictionary<string, double> Losses,
    int Instances, double Seconds);

/// <summary>The final numbers of a run (metrics.json).</summary>
public sealed record TrainResult(double Map50, double Map50_95, double Precision, double Recall, double Fitness, long Params,
    double Gflops, double LatencyMs, int Epochs, double TrainSeconds, double ImagesPerSecond, string RunDir,
    IReadOnlyList<Metrics.ClassMetrics> PerClass)
{
    /// <summary>Validation images, and the epoch (1-based) of the best weights these numbers are of.</summary>
    public int Images { get; init; }
    public int BestEpoch { get; init; }
    /// <summary>The latency step's figures (<see cref="LatencyMs"/> is their median).</summary>
    public Models.LatencyResult? Latency { get; init; }
}

/// <summary>A run stopped for a reason the user must see (NaN loss, out of memory, bad data).</summary>
public sealed class TrainingException(string message, Exception? inner = null) : Exception(message, inner);
