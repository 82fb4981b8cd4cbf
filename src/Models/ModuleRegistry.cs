using System.Globalization;
using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models;

/// <summary>How parse_model derives a module's arguments and output channels.</summary>
public enum ArgRule
{
    /// <summary>c1 = ch[f], c2 = make_divisible(min(args[0], max_channels)·width, 8); args = [c1, c2, …].</summary>
    Channels,
    /// <summary>As Channels, and the repeat count is passed as args[2] (C3, C2f, …): one module, n inside.</summary>
    ChannelsRepeat,
    /// <summary>Output channels = input channels (Upsample, …).</summary>
    Same,
    /// <summary>Output channels = Σ ch[f].</summary>
    Concat,
    /// <summary>A detection head: args += [ch[f] for each f].</summary>
    Head,
    /// <summary>A multi-output backbone (EfficientViT): its outputs take slots P1..P5 of the layer index space.</summary>
    MultiOutput,
    /// <summary>nn.BatchNorm2d: args = [ch[f]].</summary>
    BatchNorm,
}

/// <summary>What a factory sees: resolved args and the model's knob values.</summary>
public sealed class ModuleArgs(List<object?> args, IReadOnlyDictionary<string, string> knobs)
{
    public List<object?> Args { get; } = args;
    public IReadOnlyDictionary<string, string> Knobs { get; } = knobs;
    public int Count => Args.Count;

    public long L(int i, long d = 0) => i < Args.Count && Args[i] is { } v ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : d;
    public long? LN(int i) => i < Args.Count && Args[i] is { } v ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : null;
    public double D(int i, double d = 0) => i < Args.Count && Args[i] is { } v ? Convert.ToDouble(v, CultureInfo.InvariantCulture) : d;
    public bool B(int i, bool d = false) => i < Args.Count && Args[i] is { } v ? v is bool b ? b : Convert.ToDouble(v, CultureInfo.InvariantCulture) != 0 : d;
    public string S(int i, string d = "") => i < Args.Count && Args[i] is { } v ? v.ToString()! : d;
    public long[] Channels(int i) => ((IEnumerable<object?>)Args[i]!).Select(x => Convert.ToInt64(x, CultureInfo.InvariantCulture)).ToArray();
    public long KnobL(string name, long d) => Knobs.TryGetValue(name, out var v) ? long.Parse(v, CultureInfo.InvariantCulture) : d;
    public double KnobD(string name, double d) => Knobs.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : d;
    public string KnobS(string name, string d) => Knobs.TryGetValue(name, out var v) ? v : d;
}

/// <summary>A module a model YAML can name.</summary>
public sealed record ModuleDef(string Name, ArgRule Rule, Func<ModuleArgs, nn.Module> Create, string[]? Knobs = null);

/// <summary>Modules by YAML name. A new variant is a YAML plus, at most, a new module class registered here.</summary>
public static class ModuleRegistry
{
    static readonly Dictionary<string, ModuleDef> s_defs = new();

    public static void Register(ModuleDef def) => s_defs[def.Name] = def;
    public static bool TryGet(string name, out ModuleDef def) => s_defs.TryGetValue(name, out def!);
    public static IEnumerable<string> Names => s_defs.Keys.OrderBy(k => k, StringComparer.Ordinal);

    static ModuleRegistry()
    {
        // yolov5 / ultralytics common
        Register(new("Conv", ArgRule.Channels, a => new Conv(a.L(0), a.L(1), a.L(2, 1), a.L(3, 1), a.LN(4), a.L(5, 1), a.L(6, 1), a.B(7, true))));
        Register(new("C3", ArgRule.ChannelsRepeat, a => new C3(a.L(0), a.L(1), a.L(2, 1), a.B(3, true), a.L(4, 1), a.D(5, 0.5))));
        Register(new("SPPF", ArgRule.Channels, a => new SPPF(a.L(0), a.L(1), a.L(2, 5))));
        Register(new("nn.Upsample", ArgRule.Same, a => new Upsample(a.D(1, 2), a.S(2, "nearest"))));
        Register(new("Concat", ArgRule.Concat, a => new Concat(a.L(0, 1))));
        Register(new("nn.BatchNorm2d", ArgRule.BatchNorm, a => new BatchNorm2d(a.L(0))));
        Register(new("Detect", ArgRule.Head, a => a.Count >= 3 && a.Args[1] is List<object?>
            ? new DetectV5(a.L(0), ((List<object?>)a.Args[1]!).Select(l => ((List<object?>)l!).Select(v => Convert.ToDouble(v, CultureInfo.InvariantCulture)).ToArray()).ToArray(), a.Channels(2))
            : new DetectV8(a.L(0), a.Channels(a.Count - 1))));
        // ultralytics v8 / v10
        Register(new("C2f", ArgRule.ChannelsRepeat, a => new C2f(a.L(0), a.L(1), a.L(2, 1), a.B(3), a.L(4, 1), a.D(5, 0.5))));
        Register(new("SCDown", ArgRule.Channels, a => new SCDown(a.L(0), a.L(1), a.L(2, 3), a.L(3, 2))));
        Register(new("C2fCIB", ArgRule.ChannelsRepeat, a => new C2fCIB(a.L(0), a.L(1), a.L(2, 1), a.B(3), a.B(4), a.L(5, 1), a.D(6, 0.5))));
        Register(new("PSA", ArgRule.Channels, a => new PSA(a.L(0), a.L(1), a.D(2, 0.5))));
        Register(new("v10Detect", ArgRule.Head, a => new V10Detect(a.L(0), a.Channels(a.Count - 1))));
        // seed 000: FasterNet PConv
        Register(new("C3_Faster", ArgRule.ChannelsRepeat, a => new C3_Faster(a.L(0), a.L(1), a.L(2, 1), a.B(3), a.L(4, 1), a.D(5, 0.5),
            a.KnobL("pconv.n_div", 4), a.KnobD("pconv.mlp_ratio", 2)), ["pconv.n_div", "pconv.mlp_ratio"]));
        // seed 001: AKConv
        Register(new("C3_AKConv", ArgRule.ChannelsRepeat, a => new C3_AKConv(a.L(0), a.L(1), a.L(2, 1), a.B(3, true), a.L(4, 1), a.D(5, 0.5),
            a.KnobL("akconv.num_param", 3)), ["akconv.num_param"]));
        // seed 002: EfficientNetV2
        Register(new("stem", ArgRule.Channels, a => new Stem(a.L(0), a.L(1), a.L(2, 3), a.L(3, 1), a.L(4, 1))));
        Register(new("FusedMBConv", ArgRule.Channels, a => new FusedMBConv(a.L(0), a.L(1), a.L(2, 3), a.L(3, 1), a.L(4, 1), a.D(5, 0))));
        Register(new("MBConv", ArgRule.Channels, a => new MBConv(a.L(0), a.L(1), a.L(2, 3), a.L(3, 1), a.L(4, 1), a.D(5, 0))));
        // seed 003: EfficientViT backbones (the efficientvit.variant knob picks M0..M5 in place of the YAML's)
        for (var k = 0; k <= 5; k++)
        {
            var variant = $"M{k}";
            Register(new($"EfficientViT_{variant}", ArgRule.MultiOutput,
                a => EfficientViT.Create(a.KnobS("efficientvit.variant", variant)), ["efficientvit.variant"]));
        }
        // seed 004: DSConv
        Register(new("C2f_DSConv", ArgRule.ChannelsRepeat, a => new C2f_DSConv(a.L(0), a.L(1), a.L(2, 1), a.B(3), a.L(4, 1), a.D(5, 0.5),
            a.KnobL("dsconv.block_size", 32), (int)a.KnobL("dsconv.bits", 4)), ["dsconv.block_size", "dsconv.bits"]));
    }
}
