using System.Globalization;

namespace YoloSweep.Grains.Catalog;

/// <summary>How a knob's value is checked: an integer range, a positive number, or one of a few names.</summary>
public sealed record KnobInfo(string Name, string Default, string Expected, Func<string, bool> IsValid);

/// <summary>A model name the sweep may use, its family baseline and its knobs (DESIGN §4).</summary>
public sealed record ModelInfo(string Name, string Baseline, IReadOnlyList<string> Scales, IReadOnlyList<KnobInfo> Knobs)
{
    public KnobInfo? Knob(string name) => Knobs.FirstOrDefault(k => k.Name == name);
}

/// <summary>
/// The one table of model names, scales and knobs sweeps are validated against. Plain data on purpose: Grains must
/// not depend on libtorch, so it cannot read src/Models' registry. tests/EndToEnd.Tests/CatalogueAgreementTests holds
/// it equal to YoloSweep.Models.ModelCatalog and KnobRules (models, baselines, scales, knobs, defaults, valid values).
/// </summary>
public static class ModelCatalog
{
    static readonly string[] StandardScales = ["n", "s", "m", "l", "x"];
    static readonly string[] V10Scales = ["n", "s", "m", "b", "l", "x"];

    static KnobInfo IntKnob(string name, int dflt, int min, int max) =>
        new(name, dflt.ToString(CultureInfo.InvariantCulture), $"an integer in {min}..{max}",
            v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i >= min && i <= max);

    static KnobInfo PositiveNumberKnob(string name, double dflt) =>
        new(name, dflt.ToString(CultureInfo.InvariantCulture), "a positive number",
            v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0 && double.IsFinite(d));

    static KnobInfo ChoiceKnob(string name, string dflt, params string[] choices) =>
        new(name, dflt, "one of " + string.Join(", ", choices), v => choices.Contains(v));

    // 1 bit leaves DSConv no positive level (qmax = 0), so the builder rejects it; 0 is the seed's plain convolution.
    static KnobInfo DsConvBitsKnob(string name, int dflt) =>
        new(name, dflt.ToString(CultureInfo.InvariantCulture), "0 (plain convolution) or an integer in 2..16",
            v => int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) && (b == 0 || b is >= 2 and <= 16));

    static readonly KnobInfo[] DsConvKnobs = [IntKnob("dsconv.block_size", 32, 1, 4096), DsConvBitsKnob("dsconv.bits", 4)];

    public static IReadOnlyList<ModelInfo> Models { get; } =
    [
        new("yolov5", "yolov5", StandardScales, []),
        new("yolov5-c3faster", "yolov5", StandardScales, [IntKnob("pconv.n_div", 4, 1, 1024), PositiveNumberKnob("pconv.mlp_ratio", 2)]),
        new("yolov5-akconv", "yolov5", StandardScales, [IntKnob("akconv.num_param", 3, 1, 64)]),
        new("yolov5-effnetv2", "yolov5", StandardScales, []),
        new("yolov5-efficientvit", "yolov5", StandardScales, [ChoiceKnob("efficientvit.variant", "M0", "M0", "M1", "M2", "M3", "M4", "M5")]),
        new("yolov8", "yolov8", StandardScales, []),
        new("yolov8-dsconv", "yolov8", StandardScales, DsConvKnobs),
        new("yolov10", "yolov10", V10Scales, []),
        new("yolov10-dsconv", "yolov10", StandardScales, DsConvKnobs),  // seed 004 lists n/s/m/l/x, no b
    ];

    public static ModelInfo? Find(string name) => Models.FirstOrDefault(m => m.Name == name);

    public static IEnumerable<string> AllKnobNames => Models.SelectMany(m => m.Knobs).Select(k => k.Name).Distinct();

    /// <summary>The family baseline of a model (yolov5 for yolov5-*, …); the model itself when unknown.</summary>
    public static string BaselineOf(string model) => Find(model)?.Baseline ?? model;
}
