using System.Reflection;

namespace YoloSweep.Models;

/// <summary>A model of the zoo: its name, the seed it comes from, the family baseline it is compared against on the
/// leaderboard, its scales and knobs (with defaults).</summary>
public sealed record ModelEntry(string Name, string Seed, string Baseline, string Description, IReadOnlyList<string> Scales,
    IReadOnlyDictionary<string, string> Knobs);

/// <summary>The model zoo (configs/models/*.yaml, embedded): what the orchestrator validates sweeps against. A model is
/// named by its zoo name (yolov5, yolov8-dsconv, …) or by a path to a user's own YAML.</summary>
public static class ModelCatalog
{
    static readonly (string name, string seed, string baseline, string what)[] s_models =
    [
        ("yolov5", "—", "yolov5", "baseline YOLOv5 v7.0 (Conv, C3, SPPF, Detect with anchors)"),
        ("yolov5-c3faster", "000", "yolov5", "C3 → C3_Faster (Faster_Block = PConv + MLP) in backbone and head"),
        ("yolov5-akconv", "001", "yolov5", "last backbone C3 → C3_AKConv"),
        ("yolov5-effnetv2", "002", "yolov5", "backbone → EfficientNetV2 stem/FusedMBConv/MBConv"),
        ("yolov5-efficientvit", "003", "yolov5", "backbone → EfficientViT (multi-output, P3/P4/P5)"),
        ("yolov8", "—", "yolov8", "baseline YOLOv8 (C2f, SPPF, anchor-free Detect with DFL)"),
        ("yolov8-dsconv", "004", "yolov8", "head C2f → C2f_DSConv"),
        ("yolov10", "—", "yolov10", "YOLOv10 (SCDown, C2fCIB, PSA, v10Detect)"),
        ("yolov10-dsconv", "004", "yolov10", "the seed's exact config: YOLOv10-l layout with C2f_DSConv in the head"),
    ];

    static readonly Lazy<IReadOnlyList<ModelEntry>> s_entries = new(() => s_models.Select(m =>
    {
        var spec = LoadSpec(m.name);
        return new ModelEntry(m.name, m.seed, m.baseline, m.what, spec.Scales.Keys.ToList(), spec.Knobs);
    }).ToList());

    public static IReadOnlyList<ModelEntry> Models => s_entries.Value;
    public static IEnumerable<string> Names => s_models.Select(m => m.name);

    public static bool IsZooModel(string name) => s_models.Any(m => m.name == name);

    /// <summary>The spec of a zoo model, or of a YAML file when <paramref name="nameOrPath"/> ends in .yaml/.yml or exists.</summary>
    public static ModelSpec LoadSpec(string nameOrPath)
    {
        if (IsZooModel(nameOrPath))
        {
            var res = $"models/{nameOrPath}.yaml";
            using var s = typeof(ModelCatalog).Assembly.GetManifestResourceStream(res)
                ?? throw new ModelConfigException($"model '{nameOrPath}': resource {res} missing from the assembly");
            using var r = new StreamReader(s);
            return ModelSpec.Parse(r.ReadToEnd(), $"configs/models/{nameOrPath}.yaml");
        }
        if (nameOrPath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || nameOrPath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrPath))
            return ModelSpec.LoadFile(nameOrPath);
        throw new ModelConfigException($"unknown model '{nameOrPath}'; models: {string.Join(", ", Names)} (or a path to a model YAML)");
    }

    /// <summary>Builds a zoo model (or a user YAML) at a scale with knobs.</summary>
    public static DetectionModel Build(string nameOrPath, string? scale = null, long? nc = null, IReadOnlyDictionary<string, string>? knobs = null)
    {
        var spec = LoadSpec(nameOrPath);
        var name = IsZooModel(nameOrPath) ? nameOrPath : Path.GetFileNameWithoutExtension(nameOrPath);
        return ModelBuilder.Build(spec, new BuildOptions(scale, nc, knobs, name));
    }

    /// <summary>The knob names that apply to a model (the orchestrator expands sweep knobs per model with this).</summary>
    public static IReadOnlyDictionary<string, string> KnobsOf(string model) =>
        Models.FirstOrDefault(m => m.Name == model)?.Knobs ?? LoadSpec(model).Knobs;
}
