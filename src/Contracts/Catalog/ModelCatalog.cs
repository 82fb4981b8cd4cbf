using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace YoloSweep.Contracts.Catalog;

/// <summary>A knob of a model: its name, its default (canonical) and the values it takes.</summary>
public sealed record KnobInfo(string Name, string Default, KnobRule Rule)
{
    public string Expected => Rule.Expected;
    public bool IsValid(string value) => Rule.IsValid(value);
    public string? Canonical(string value) => Rule.Canonical(value);
}

/// <summary>A zoo model: its name, the seed document it comes from, its family baseline, its scales and knobs.</summary>
public sealed record ModelInfo(string Name, string Seed, string Baseline, string Description, IReadOnlyList<string> Scales,
    IReadOnlyList<KnobInfo> Knobs)
{
    public KnobInfo? Knob(string name) => Knobs.FirstOrDefault(k => k.Name == name);

    /// <summary>The image sizes the model builds and runs at (the YAML's <c>catalog: imgsz:</c>).</summary>
    public ImageSizeRule Imgsz { get; init; } = ImageSizeRule.Default;
}

/// <summary>
/// Image sizes a model accepts: at least <see cref="Min"/> and a multiple of <see cref="Multiple"/> (the stride of its
/// deepest level, or a quirk of its seed); <see cref="Why"/> says which, for the refusal.
/// </summary>
public sealed record ImageSizeRule(int Min, int Multiple, string? Why = null)
{
    public static readonly ImageSizeRule Default = new(32, 32);

    public bool Allows(int imgsz) => imgsz >= Min && imgsz % Multiple == 0;

    public string Text => Min > Multiple ? $"a multiple of {Multiple}, at least {Min}" : $"a multiple of {Multiple}";
}

/// <summary>
/// The one catalogue of the model zoo, read from the model YAMLs embedded in this assembly (configs/models/*.yaml):
/// each YAML's <c>catalog:</c> block (seed, baseline, description), its <c>scales:</c> and its <c>knobs:</c> block. Sweeps are
/// validated against it here (no libtorch needed), and the model builder (src/Models) reads the same YAMLs.
/// </summary>
public static class ModelCatalog
{
    static readonly Lazy<IReadOnlyList<ModelInfo>> s_models = new(Load);

    /// <summary>The zoo: each family's baseline first, then its variants in the order of their seeds.</summary>
    public static IReadOnlyList<ModelInfo> Models => s_models.Value;

    public static ModelInfo? Find(string name) => Models.FirstOrDefault(m => m.Name == name);

    public static IEnumerable<string> AllKnobNames => Models.SelectMany(m => m.Knobs).Select(k => k.Name).Distinct();

    /// <summary>The family baseline of a model (yolov5 for yolov5-*, …); the model itself when unknown.</summary>
    public static string BaselineOf(string model) => Find(model)?.Baseline ?? model;

    /// <summary>The text of a zoo model's YAML (configs/models/NAME.yaml), or null when there is no such model.</summary>
    public static string? ReadYaml(string name)
    {
        using var s = typeof(ModelCatalog).Assembly.GetManifestResourceStream($"models/{name}.yaml");
        if (s is null) return null;
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    static IReadOnlyList<ModelInfo> Load()
    {
        var names = typeof(ModelCatalog).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("models/", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(n => n["models/".Length..^".yaml".Length]);
        var models = names.Select(n => Parse(n, ReadYaml(n)!)).ToList();
        return models
            .OrderBy(m => FamilyNumber(m.Baseline)).ThenBy(m => m.Baseline, StringComparer.Ordinal)
            .ThenBy(m => m.Name != m.Baseline).ThenBy(m => m.Seed, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
    }

    // yolov5 < yolov8 < yolov10: by the number in the family name.
    static int FamilyNumber(string baseline) =>
        int.TryParse(new string(baseline.Where(char.IsDigit).ToArray()), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue;

    static ModelInfo Parse(string name, string yaml)
    {
        var source = $"configs/models/{name}.yaml";
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        YamlNode? Get(YamlMappingNode m, string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var n) ? n : null;
        var catalog = Get(root, "catalog") as YamlMappingNode ?? throw new FormatException($"{source}: missing the catalog: block (seed, baseline, description)");
        string Text(string key) => (Get(catalog, key) as YamlScalarNode)?.Value ?? throw new FormatException($"{source}: catalog: needs '{key}'");
        var scales = Get(root, "scales") is YamlMappingNode sc ? sc.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToList()
            : throw new FormatException($"{source}: missing scales:");
        var knobs = Get(root, "knobs") is YamlMappingNode kn
            ? KnobRule.ParseBlock(kn, source).Select(k => new KnobInfo(k.Name, k.Default, k.Rule)).ToList()
            : [];
        var imgsz = ImageSizeRule.Default;
        if (Get(catalog, "imgsz") is YamlMappingNode im)
        {
            int Int(string key, int dflt) => Get(im, key) is YamlScalarNode { Value: { } v }
                ? int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) : dflt;
            imgsz = new ImageSizeRule(Int("min", 32), Int("multiple", 32), (Get(im, "why") as YamlScalarNode)?.Value);
        }
        return new ModelInfo(name, Text("seed"), Text("baseline"), Text("description"), scales, knobs) { Imgsz = imgsz };
    }
}
