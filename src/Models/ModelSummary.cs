using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models;

/// <summary>`model info`: the per-layer table (index, from, n, params, module, arguments) and the summary line
/// (layers, parameters, gradients, GFLOPs at 640 by thop's rules), as text or one JSON object. The text follows the
/// family's original: yolov5's parse_model columns (from 18, module 40) for v5, ultralytics' (from 20, module 45) for
/// v8/v10, and ultralytics' summary line with thousands separators.</summary>
public sealed record ModelSummary(string Model, string? Scale, long Nc, IReadOnlyDictionary<string, string> Knobs, IReadOnlyList<LayerInfo> Rows,
    int Layers, long Parameters, long Gradients, double GFlops, float[] Strides, double? LatencyMs = null, int? LatencyImgsz = null, string? Device = null,
    string Family = "v5")
{
    /// <summary>The latency measurement, when one was made (LatencyMs, LatencyImgsz and Device are taken from it).</summary>
    public LatencyResult? Latency { get; init; }

    public ModelSummary WithLatency(LatencyResult r) => this with { Latency = r, LatencyMs = r.MedianMs, LatencyImgsz = r.Imgsz, Device = r.Device };

    public static ModelSummary Of(DetectionModel m, int imgsz = 640) =>
        new(m.Name, m.Scale, m.Nc, m.Knobs, m.Layers, m.ModuleCount, m.ParameterCount, m.GradientCount, m.GFlops(imgsz), m.Strides, Family: m.Family);

    /// <summary>The model as ultralytics names a scaled YAML: yolov5s, yolov8n; a hyphenated zoo name gets the scale
    /// after a hyphen (yolov5-c3faster-n), which reads better than yolov5-c3fastern.</summary>
    public string ScaledName => Scale is not { Length: > 0 } s ? Model : char.IsDigit(Model[^1]) ? Model + s : $"{Model}-{s}";

    public string Table()
    {
        var (fromW, moduleW) = Family == "v5" ? (18, 40) : (20, 45);
        var sb = new StringBuilder();
        sb.AppendLine($"{"",3}{"from".PadLeft(fromW)}{"n",3}{"params",10}  {"module".PadRight(moduleW)}{"arguments",-30}");
        foreach (var r in Rows)
        {
            var from = r.FromIsList ? "[" + string.Join(", ", r.From) + "]" : r.From[0].ToString(CultureInfo.InvariantCulture);
            sb.AppendLine($"{r.Index,3}{from.PadLeft(fromW)}{r.N,3}{r.Params,10}  {r.Module.PadRight(moduleW)}{r.Arguments,-30}");
        }
        sb.Append(SummaryLine());
        return sb.ToString();
    }

    public string SummaryLine()
    {
        static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        var s = $"{ScaledName} summary: {N(Layers)} layers, {N(Parameters)} parameters, {N(Gradients)} gradients, {GFlops.ToString("F1", CultureInfo.InvariantCulture)} GFLOPs";
        if (Latency is { } r) s += ", latency " + r;
        else if (LatencyMs is { } l) s += $", latency {l.ToString("F1", CultureInfo.InvariantCulture)} ms (batch 1, {LatencyImgsz}×{LatencyImgsz}, {Device})";
        return s;
    }

    public string Json() => JsonSerializer.Serialize(new
    {
        model = Model,
        scale = Scale,
        nc = Nc,
        knobs = Knobs,
        layers = Layers,
        parameters = Parameters,
        gradients = Gradients,
        gflops = Math.Round(GFlops, 3),
        strides = Strides,
        latency_ms = LatencyMs,
        latency_imgsz = LatencyImgsz,
        latency_iqr_ms = Latency?.IqrMs,
        latency_runs = Latency?.Runs,
        latency_warmup = Latency?.Warmup,
        latency_threads = Latency?.Threads,
        device = Device,
        rows = Rows.Select(r => new { index = r.Index, from = r.FromIsList ? (object)r.From : r.From[0], n = r.N, @params = r.Params, module = r.Module, arguments = r.Arguments }),
    });
}
