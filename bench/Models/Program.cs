// Model zoo benchmark: build time and forward latency (eval, batch 1, median of --runs (3) after 1 warm-up) per model
// and scale at --sizes (320,640). Usage: dotnet run -c Release --project bench/Models [-- --device cpu] [--scales n,s]
// [--models a,b] [--sizes 320] [--runs 5]. The BLAS libtorch runs on (YOLOSWEEP_BLAS) is printed first.
// `-- --conv [threads]`: one 3×3 128→128 convolution at 10/20/80 px through the binding, beside bench/Models/conv.py.
using System.Diagnostics;
using System.Globalization;
using YoloSweep.Models;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

if (args.Contains("--conv")) return ConvBench.Run(int.TryParse(Arg("--conv"), out var t) ? t : 1);

var device = Device.Parse(Arg("--device") ?? "cpu");
var scales = (Arg("--scales") ?? "n,s").Split(',');
var models = (Arg("--models") ?? string.Join(",", ModelCatalog.Names)).Split(',');
var sizes = (Arg("--sizes") ?? "320,640").Split(',').Select(int.Parse).ToArray();
var runs = int.TryParse(Arg("--runs"), out var r) ? r : 3;
Console.WriteLine($"libtorch {libtorch_version}, {get_num_threads()} threads, BLAS {ConvBench.MappedBlas()}");
Console.WriteLine($"| model | scale | params | GFLOPs (640) | build ms |{string.Concat(sizes.Select(z => $" latency {z} ms |"))}");
Console.WriteLine($"|---|---|---:|---:|---:|{string.Concat(sizes.Select(_ => "---:|"))}");
foreach (var name in models)
foreach (var scale in scales)
{
    var sw = Stopwatch.StartNew();
    using var m = ModelCatalog.Build(name, scale);
    var build = sw.Elapsed.TotalMilliseconds;
    var gf = m.GFlops(640);
    string Lat(int s)
    {
        try { return LatencyMeter.Measure(m, s, device, new LatencyOptions { Warmup = 1, Runs = runs, Threads = get_num_threads() }).MedianMs.ToString("F0", CultureInfo.InvariantCulture); }
        catch (Exception e) { return "fails: " + e.Message.Split('\n')[0][..Math.Min(60, e.Message.Length)]; }
    }
    var lat = string.Concat(sizes.Select(z => $" {Lat(z)} |"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {scale} | {m.ParameterCount:N0} | {gf:F1} | {build:F0} |{lat}"));
}
return 0;

string? Arg(string n) { var i = Array.IndexOf(args, n); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

/// <summary>The same convolution, sizes, thread count and timing loop as conv.py (warm-up n/5, best of 5 runs of n).</summary>
static class ConvBench
{
    /// <summary>The file behind libblas.so.3 in this process, read from the memory map (so any build of the binding can say).</summary>
    public static string MappedBlas() =>
        File.ReadLines("/proc/self/maps").Select(l => l[Math.Max(0, l.IndexOf('/'))..]).FirstOrDefault(p => p.Contains("/libblas.so.3")) ?? "none";

    public static int Run(int threads)
    {
        var byDefault = get_num_threads();
        set_num_threads(threads);
        Console.WriteLine($"ours   libtorch {libtorch_version}  threads {get_num_threads()} (default {byDefault})  BLAS {MappedBlas()}");
        using var _ = no_grad();
        using var g = new Generator(0);
        foreach (var hw in new long[] { 10, 20, 80 })
        {
            using var x = rand([1, 128, hw, hw], g);
            using var u = rand([128, 128, 3, 3], g);
            using var w = u - 0.5;
            using var x2 = rand([2, 128, hw, hw], g);
            var n = hw <= 20 ? 100 : 10;
            Time($"conv2d 3x3 128->128, 1x128x{hw}x{hw}", n, () => nn.functional.conv2d(x, w, null, [1, 1], [1, 1]).Dispose());
            Time("  mkldnn_convolution, same", n, () => Op.Call("aten::mkldnn_convolution", x, w, (Tensor?)null, new long[] { 1, 1 }, new long[] { 1, 1 }, new long[] { 1, 1 }, 1L).Dispose());
            Time("  conv2d, batch 2 (ms per call)", n, () => nn.functional.conv2d(x2, w, null, [1, 1], [1, 1]).Dispose());
        }
        return 0;
    }

    static void Time(string what, int n, Action body)
    {
        for (var i = 0; i < Math.Max(1, n / 5); i++) body();
        var best = double.MaxValue;
        for (var r = 0; r < 5; r++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < n; i++) body();
            best = Math.Min(best, sw.Elapsed.TotalSeconds / n);
        }
        Console.WriteLine($"{what,-58} {best * 1e3,9:F3} ms");
    }
}
