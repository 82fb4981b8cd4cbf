using System.Globalization;
using System.Reflection;
using System.Text.Json;
using YoloSweep.Models;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Engine;

/// <summary>What a weights file says about its model, in the safetensors __metadata__ header (all strings): enough
/// to rebuild the model and use it without the run folder, as an ultralytics .pt carries its model and names.
/// <see cref="ModelYaml"/> holds the YAML text of a model given as a file (a zoo model is rebuilt by name).</summary>
public sealed record WeightsInfo(string Model, string Scale, int Nc, IReadOnlyList<string> Names, IReadOnlyDictionary<string, string> Knobs,
    int ImgSize, string Family, int Epoch, string Version, string? ModelYaml = null)
{
    public string Title => $"{Model}-{Scale}" + (Knobs.Count > 0 ? " " + string.Join(" ", Knobs.Select(k => $"{k.Key}={k.Value}")) : "");
}

/// <summary>best/last weights: the tensors under PyTorch state_dict names (last.safetensors: "model.", "ema.",
/// "optim." and "grad." prefixes for resuming) and a metadata header read by `val` and `predict`.</summary>
public static class WeightsFile
{
    public const string Format = "yolosweep-detect";

    /// <summary>The version of YoloSweep that wrote a file (the Trainer assembly's informational version).</summary>
    public static string Version { get; } =
        typeof(WeightsFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static Dictionary<string, string> Metadata(WeightsInfo i)
    {
        var inv = CultureInfo.InvariantCulture;
        var m = new Dictionary<string, string>
        {
            ["format"] = Format, ["yolosweep_version"] = i.Version, ["task"] = "detect", ["model"] = i.Model, ["scale"] = i.Scale,
            ["nc"] = i.Nc.ToString(inv), ["names"] = JsonSerializer.Serialize(i.Names), ["knobs"] = JsonSerializer.Serialize(i.Knobs),
            ["imgsz"] = i.ImgSize.ToString(inv), ["family"] = i.Family, ["epoch"] = i.Epoch.ToString(inv),
        };
        if (i.ModelYaml is { } y) m["model_yaml"] = y;
        return m;
    }

    /// <summary>The metadata of a model trained by <see cref="TrainingRun"/>: <paramref name="model"/> is a zoo name
    /// or a model YAML path (whose text is stored).</summary>
    public static WeightsInfo Describe(DetectionModel m, string model, string scale, IReadOnlyList<string> names, int imgsz, int epoch) =>
        new(ModelCatalog.IsZooModel(model) ? model : Path.GetFileNameWithoutExtension(model), scale, (int)m.Nc, names,
            new SortedDictionary<string, string>(m.Knobs.ToDictionary(k => k.Key, k => k.Value), StringComparer.Ordinal),
            imgsz, m.Family, epoch, Version, ModelCatalog.IsZooModel(model) ? null : File.ReadAllText(model));

    public static void Save(string path, IEnumerable<(string name, Tensor tensor)> tensors, WeightsInfo info) =>
        safetensors.save_file(tensors, path, Metadata(info));

    /// <summary>The metadata of a weights file; an error naming the file when it has none (not written by YoloSweep).</summary>
    public static WeightsInfo ReadInfo(string path, IReadOnlyDictionary<string, string> meta)
    {
        const string what = "not a YoloSweep detector checkpoint (weights/best.safetensors or last.safetensors of `yolosweep train`)";
        string Get(string k) => meta.TryGetValue(k, out var v) ? v : throw new ArgumentException($"--weights {path}: no '{k}' in its metadata header: {what}");
        if (meta.GetValueOrDefault("format") != Format)
            throw new ArgumentException($"--weights {path}: its metadata header does not say format '{Format}': {what}");
        var inv = CultureInfo.InvariantCulture;
        return new WeightsInfo(Get("model"), Get("scale"), int.Parse(Get("nc"), inv), JsonSerializer.Deserialize<List<string>>(Get("names"))!,
            JsonSerializer.Deserialize<Dictionary<string, string>>(Get("knobs"))!, int.Parse(Get("imgsz"), inv), Get("family"),
            int.Parse(Get("epoch"), inv), Get("yolosweep_version"), meta.GetValueOrDefault("model_yaml"));
    }

    /// <summary>Builds the model a weights file describes and loads its weights (the EMA of a last.safetensors
    /// checkpoint), in eval mode on <paramref name="device"/>. Every problem is one line naming the file.</summary>
    public static (DetectionModel Model, WeightsInfo Info) Load(string path, Device device)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--weights {path}: file not found");
        var (tensors, meta) = safetensors.read(path);
        try
        {
            var info = ReadInfo(path, meta);
            DetectionModel model;
            try
            {
                model = info.ModelYaml is { } yaml
                    ? ModelBuilder.Build(ModelSpec.Parse(yaml, $"{path}:model_yaml"), new BuildOptions(info.Scale, info.Nc, info.Knobs, info.Model))
                    : ModelCatalog.Build(info.Model, info.Scale, info.Nc, info.Knobs);
            }
            catch (ModelConfigException e) { throw new ArgumentException($"--weights {path}: cannot rebuild {info.Title}: {e.Message}"); }
            var all = tensors.ToDictionary(t => t.name, t => t.tensor);
            var state = all.Keys.Any(k => k.StartsWith("ema.", StringComparison.Ordinal))
                ? all.Where(kv => kv.Key.StartsWith("ema.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[4..], kv => kv.Value)
                : all;
            try { model.load_state_dict(state); }
            catch (ArgumentException e)
            {
                model.Dispose();
                var first = e.Message.Split("; ")[0].Replace("load_state_dict: ", "");
                throw new ArgumentException($"--weights {path}: its tensors do not fit {info.Title} (nc {info.Nc}): {first}");
            }
            model.to(device);
            model.eval();
            return (model, info);
        }
        finally { foreach (var (_, t) in tensors) t.Dispose(); }
    }
}
