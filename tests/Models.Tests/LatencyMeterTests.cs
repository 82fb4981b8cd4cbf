using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Tests;

/// <summary>The latency measurement behind a trial's latency_ms and `model info --latency`: median and IQR of the
/// timed runs, the thread count it ran at (restored after), the model's mode restored, the percentiles as numpy's.</summary>
[Collection(GlobalTorchThreads.Name)]
public class LatencyMeterTests
{
    [Fact]
    public void It_reports_median_and_iqr_of_its_runs_at_the_thread_count_and_restores_threads_and_mode()
    {
        using var m = ModelCatalog.Build("yolov8", "n", 3, null);
        m.train();
        var threads = get_num_threads();
        var r = LatencyMeter.Measure(m, 32, Device.CPU, new LatencyOptions { Warmup = 1, Runs = 6, Threads = threads + 1 });
        Assert.Equal((6, 1, threads + 1, 32, "cpu"), (r.Runs, r.Warmup, r.Threads, r.Imgsz, r.Device));
        Assert.True(r.P25Ms > 0 && r.P25Ms <= r.MedianMs && r.MedianMs <= r.P75Ms, r.ToString());
        Assert.Equal(r.P75Ms - r.P25Ms, r.IqrMs, 12);
        Assert.Equal(threads, get_num_threads());
        Assert.True(m.training);
        Assert.Contains("6 runs after 1 warm-up", r.ToString());
    }

    [Fact]
    public void Percentiles_interpolate_between_ranks_as_numpy()
    {
        double[] v = [1, 2, 3, 4, 10];
        Assert.Equal(2, LatencyMeter.Percentile(v, 25));
        Assert.Equal(3, LatencyMeter.Percentile(v, 50));
        Assert.Equal(4, LatencyMeter.Percentile(v, 75));
        Assert.Equal(2.5, LatencyMeter.Percentile([1, 2, 3, 4], 50));  // numpy.percentile([1,2,3,4], 50)
        Assert.Equal(1.75, LatencyMeter.Percentile([1, 2, 3, 4], 25));
        Assert.Equal(7, LatencyMeter.Percentile([7], 75));
    }

    [Fact]
    public void The_thread_count_defaults_to_the_processors_up_to_four_or_YOLOSWEEP_LATENCY_THREADS()
    {
        var was = Environment.GetEnvironmentVariable(LatencyMeter.ThreadsVariable);
        try
        {
            Environment.SetEnvironmentVariable(LatencyMeter.ThreadsVariable, null);
            Assert.Equal(Math.Min(Environment.ProcessorCount, 4), LatencyMeter.DefaultThreads());
            Environment.SetEnvironmentVariable(LatencyMeter.ThreadsVariable, "3");
            Assert.Equal(3, LatencyMeter.DefaultThreads());
            Environment.SetEnvironmentVariable(LatencyMeter.ThreadsVariable, "0");
            Assert.Contains(LatencyMeter.ThreadsVariable, Assert.Throws<ArgumentException>(() => LatencyMeter.DefaultThreads()).Message);
        }
        finally { Environment.SetEnvironmentVariable(LatencyMeter.ThreadsVariable, was); }
    }
}

/// <summary>The measurement changes libtorch's process-wide thread count for a while; a parity test running beside it
/// would reduce in another order and miss its bit-for-bit comparisons. This collection runs alone, after the others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalTorchThreads
{
    public const string Name = "libtorch's global thread count";
}
