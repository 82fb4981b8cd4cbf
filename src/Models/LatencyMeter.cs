using System.Diagnostics;
using System.Globalization;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models;

/// <summary>How a latency is measured: warm-up and timed forward passes, and the intra-op thread count.</summary>
public sealed record LatencyOptions
{
    public int Warmup { get; init; } = 5;
    public int Runs { get; init; } = 30;
    /// <summary>torch's intra-op threads during the measurement; null: <see cref="LatencyMeter.DefaultThreads"/>.</summary>
    public int? Threads { get; init; }
}

/// <summary>One latency measurement: the median and interquartile range (p75 − p25) of the timed runs, in ms, and the
/// conditions they were taken under.</summary>
public sealed record LatencyResult(double MedianMs, double P25Ms, double P75Ms, int Runs, int Warmup, int Threads, int Imgsz, string Device)
{
    public double IqrMs => P75Ms - P25Ms;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{MedianMs:F1} ms (IQR {IqrMs:F2} ms; batch 1, {Imgsz}×{Imgsz}, {Device}, {Threads} threads, median of {Runs} runs after {Warmup} warm-up)");
}

/// <summary>
/// Forward latency of a model at batch 1, the one implementation behind a trial's latency figure and
/// `yolosweep model info --latency`: eval mode, no autograd, a fixed grey image, warm-up runs, then timed runs with
/// CUDA synchronised around each; torch's intra-op thread count is fixed for the measurement and restored after,
/// and the model's train/eval mode is restored too. Head decoding is included, NMS is not. It measures only; keeping
/// other work off the host while it runs is the caller's business (the trainer's host lock).
/// </summary>
public static class LatencyMeter
{
    public const string ThreadsVariable = "YOLOSWEEP_LATENCY_THREADS";

    /// <summary>YOLOSWEEP_LATENCY_THREADS when set to a positive integer, else min(processors, 4).</summary>
    public static int DefaultThreads()
    {
        var v = Environment.GetEnvironmentVariable(ThreadsVariable);
        if (!string.IsNullOrWhiteSpace(v))
        {
            if (int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0) return n;
            throw new ArgumentException($"{ThreadsVariable}='{v}': expected a positive integer");
        }
        return Math.Min(Environment.ProcessorCount, 4);
    }

    public static LatencyResult Measure(DetectionModel m, int imgsz, Device device, LatencyOptions? options = null, CancellationToken ct = default)
    {
        var o = options ?? new LatencyOptions();
        if (o.Runs < 1) throw new ArgumentException($"latency runs must be at least 1, got {o.Runs}");
        if (o.Warmup < 0) throw new ArgumentException($"latency warm-up must not be negative, got {o.Warmup}");
        var threads = o.Threads ?? DefaultThreads();
        if (threads < 1) throw new ArgumentException($"latency threads must be at least 1, got {threads}");
        var cudaIndex = device.type == DeviceType.CUDA ? Math.Max(device.index, 0) : -1;
        void Sync() { if (cudaIndex >= 0) cuda.synchronize(cudaIndex); }

        var wasTraining = m.training;
        var previousThreads = get_num_threads();
        set_num_threads(threads);
        try
        {
            m.to(device);
            m.eval();
            using var _ = no_grad();
            using var x = full([1, 3, imgsz, imgsz], 114 / 255.0, ScalarType.Float32, device);  // letterbox grey
            var times = new double[o.Runs];
            for (var i = 0; i < o.Warmup + o.Runs; i++)
            {
                ct.ThrowIfCancellationRequested();
                Sync();
                var sw = Stopwatch.StartNew();
                using (m.Forward(x)) Sync();
                sw.Stop();
                if (i >= o.Warmup) times[i - o.Warmup] = sw.Elapsed.TotalMilliseconds;
            }
            Array.Sort(times);
            return new LatencyResult(Percentile(times, 50), Percentile(times, 25), Percentile(times, 75), o.Runs, o.Warmup, threads, imgsz, device.ToString());
        }
        finally
        {
            set_num_threads(previousThreads);
            m.train(wasTraining);
        }
    }

    /// <summary>numpy's default percentile (linear interpolation between closest ranks) of sorted values.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) throw new ArgumentException("no values");
        var pos = p / 100 * (sorted.Count - 1);
        var lo = (int)Math.Floor(pos);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
