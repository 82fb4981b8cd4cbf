// Model zoo benchmark: build time and forward latency (eval, batch 1, median of 3 after 1 warm-up) per model and
// scale at 320 and 640. Usage: dotnet run -c Release --project bench/Models [-- --device cpu] [--scales n,s]
using System.Diagnostics;
using System.Globalization;
using YoloSweep.Models;
using YoloSweep.Torch;

var device = Device.Parse(Arg("--device") ?? "cpu");
var scales = (Arg("--scales") ?? "n,s").Split(',');
var models = (Arg("--models") ?? string.Join(",", ModelCatalog.Names)).Split(',');
Console.WriteLine($"| model | scale | params | GFLOPs (640) | build ms | latency 320 ms | latency 640 ms |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
foreach (var name in models)
foreach (var scale in scales)
{
    var sw = Stopwatch.StartNew();
    using var m = ModelCatalog.Build(name, scale);
    var build = sw.Elapsed.TotalMilliseconds;
    var gf = m.GFlops(640);
    string Lat(int s)
    {
        try { return ModelSummary.MeasureLatency(m, s, device, warmup: 1, runs: 3).ToString("F0", CultureInfo.InvariantCulture); }
        catch (Exception e) { return "fails: " + e.Message.Split('\n')[0][..Math.Min(60, e.Message.Length)]; }
    }
    var l320 = name == "yolov5-effnetv2" && 320 % 64 != 0 ? "n/a" : Lat(320);
    var l640 = Lat(640);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {scale} | {m.ParameterCount:N0} | {gf:F1} | {build:F0} | {l320} | {l640} |"));
}
return 0;

string? Arg(string n) { var i = Array.IndexOf(args, n); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }
