using System.Security.Cryptography;
using System.Text;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Worker;

/// <summary>
/// "Trains" by sleeping <c>train.simulate.seconds_per_epoch</c> per epoch. Metrics are a deterministic function of
/// the trial's settings (so leaderboards rank variants consistently, seeds scatter a little), and a checkpoint is
/// written after every epoch so crash/resume behaves as with real training.
/// </summary>
public sealed class SimulatedTrialExecutor : ITrialExecutor
{
    public const string CheckpointFile = "last.ckpt.json";

    sealed record Checkpoint(string TrialId, int Epoch, double TrainSeconds);

    public int StartEpoch(TrialSpec spec, string workDir, bool resume) =>
        resume && Read(workDir, spec) is { } c ? c.Epoch + 1 : 1;

    public async Task<TrialOutcome> RunAsync(TrialSpec spec, string workDir, bool resume, Action<EpochReport> onEpoch, CancellationToken ct)
    {
        var sim = spec.Train.Simulate ?? new SimulateSettings();
        Directory.CreateDirectory(workDir);
        var start = StartEpoch(spec, workDir, resume);
        var trainSeconds = start > 1 ? Read(workDir, spec)!.TrainSeconds : 0;
        var final = FinalMetrics(spec);
        for (var epoch = start; epoch <= spec.Train.Epochs; epoch++)
        {
            var began = DateTime.UtcNow;
            await Task.Delay(TimeSpan.FromSeconds(sim.SecondsPerEpoch), ct);
            if (sim.FailAtEpoch == epoch) throw new InvalidOperationException($"simulated crash at epoch {epoch}");
            trainSeconds += (DateTime.UtcNow - began).TotalSeconds;
            var progress = 1 - Math.Exp(-3.0 * epoch / spec.Train.Epochs);
            var scale = progress / (1 - Math.Exp(-3.0));
            onEpoch(new EpochReport
            {
                Epoch = epoch,
                Losses = new(StringComparer.Ordinal) { ["box"] = 0.1 * (1.2 - scale), ["cls"] = 0.05 * (1.2 - scale), ["dfl"] = 1.5 * (1.2 - scale),
                                                         ["val/box"] = 0.11 * (1.2 - scale), ["val/cls"] = 0.06 * (1.2 - scale), ["val/dfl"] = 1.6 * (1.2 - scale) },
                Map50 = final.Map50 * scale, Map50_95 = final.Map50_95 * scale, Fitness = final.Fitness * scale,
                Lr = 0.01 * (1 - 0.99 * epoch / spec.Train.Epochs),
            });
            // After the report, as the trainer does: a kill between the two leaves the epoch journalled, never lost.
            Write(workDir, new Checkpoint(spec.Id, epoch, trainSeconds));
        }
        return new TrialOutcome(final with
        {
            Epochs = spec.Train.Epochs,
            TrainSeconds = Math.Round(trainSeconds, 3),
            ImagesPerSecond = Math.Round(1000.0 / final.LatencyMs * Math.Min(spec.Train.Batch, 8), 1),
        }, start);
    }

    /// <summary>Deterministic metrics: the configuration sets the level, the seed adds a little noise.</summary>
    public static TrialMetrics FinalMetrics(TrialSpec spec)
    {
        var config = Unit($"{spec.Model}|{spec.Scale}|{spec.KnobsText}", 4);
        var noise = Unit($"{spec.Model}|{spec.Scale}|{spec.KnobsText}|{spec.Seed}", 1)[0] - 0.5;
        var (map, mparams, gflops) = spec.Scale switch
        {
            "n" => (0.30, 1.9e6, 4.5), "s" => (0.37, 7.2e6, 16.5), "m" => (0.42, 21.2e6, 49.0),
            "b" => (0.44, 19.1e6, 92.0), "l" => (0.45, 46.5e6, 109.1), _ => (0.47, 86.7e6, 205.7),
        };
        var map5095 = Math.Round(map + (config[0] - 0.4) * 0.05 + noise * 0.01, 4);
        var g = Math.Round(gflops * (0.8 + 0.4 * config[2]), 1);
        var precision = Math.Round(Math.Min(0.99, map5095 + 0.35), 4);
        var recall = Math.Round(Math.Min(0.99, map5095 + 0.25), 4);
        var map50 = Math.Round(map5095 + 0.18 + config[1] * 0.02, 4);
        var latency = Math.Round(1.5 + g * 0.35 * (0.8 + 0.4 * config[3]), 2);
        return new TrialMetrics
        {
            Map50 = map50, Map50_95 = map5095, Precision = precision, Recall = recall,
            Fitness = Math.Round(0.1 * map50 + 0.9 * map5095, 4),
            Params = (long)(mparams * (0.8 + 0.4 * config[1])), Gflops = g,
            LatencyMs = latency,
            // as the latency step reports them: an IQR of 2–5 % of the median, 30 runs, 4 threads on the CPU
            LatencyIqrMs = Math.Round(latency * (0.035 + noise * 0.03), 3), LatencyRuns = 30, LatencyThreads = 4,
            LatencyImgsz = spec.Train.Imgsz, LatencyDevice = "cpu",
        };
    }

    static double[] Unit(string text, int n)
    {
        var h = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Enumerable.Range(0, n).Select(i => BitConverter.ToUInt32(h, i * 4) / (double)uint.MaxValue).ToArray();
    }

    static Checkpoint? Read(string workDir, TrialSpec spec)
    {
        var path = Path.Combine(workDir, CheckpointFile);
        if (!File.Exists(path)) return null;
        var c = Json.Deserialize<Checkpoint>(File.ReadAllText(path));
        return c is not null && c.TrialId == spec.Id && c.Epoch >= 1 ? c : null;
    }

    // Write-then-rename: a crash mid-write leaves the previous checkpoint intact.
    static void Write(string workDir, Checkpoint c)
    {
        var path = Path.Combine(workDir, CheckpointFile);
        var tmp = path + $".{Environment.ProcessId}.tmp";
        File.WriteAllText(tmp, Json.Serialize(c));
        File.Move(tmp, path, overwrite: true);
    }
}
