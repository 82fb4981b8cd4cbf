using System.Globalization;
using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models;

/// <summary>What to build: a scale of the YAML's scales, an nc override and knob values.</summary>
public sealed record BuildOptions(string? Scale = null, long? Nc = null, IReadOnlyDictionary<string, string>? Knobs = null, string? Name = null);

/// <summary>Builds a <see cref="DetectionModel"/> from a <see cref="ModelSpec"/> by yolov5's parse_model rules (depth gain,
/// width gain with make_divisible(·, 8), from indices, Concat channel sums, Detect args) and ultralytics' (scales with
/// max_channels), then runs the stride probe and initialize_weights (BatchNorm eps 1e-3, momentum 0.03).</summary>
public static class ModelBuilder
{
    public static long MakeDivisible(double x, long divisor) => (long)Math.Ceiling(x / divisor) * divisor;

    public static DetectionModel Build(ModelSpec spec, BuildOptions? options = null)
    {
        options ??= new BuildOptions();
        var name = options.Name ?? Path.GetFileNameWithoutExtension(spec.Source);
        var knobs = ResolveKnobs(spec, name, options.Knobs);
        var nc = options.Nc ?? spec.Nc;

        double gd, gw;
        long maxCh;
        string? scale = options.Scale;
        if (spec.Scales.Count > 0)
        {
            scale ??= spec.Scales.Keys.First();
            if (!spec.Scales.TryGetValue(scale, out var s))
                throw new ModelConfigException($"{spec.Source}: unknown scale '{scale}' for model '{name}'; its scales: {string.Join(", ", spec.Scales.Keys)}");
            (gd, gw, maxCh) = (s.Depth, s.Width, s.MaxChannels);
        }
        else
        {
            if (scale != null)
                throw new ModelConfigException($"{spec.Source}: unknown scale '{scale}' for model '{name}': this YAML has no scales block (fixed depth_multiple/width_multiple)");
            (gd, gw, maxCh) = (spec.DepthMultiple ?? 1, spec.WidthMultiple ?? 1, long.MaxValue);
        }

        // A layer whose yaml width equals the head's output width keeps it unscaled ("if not output"): yolov5 v7.0
        // compares with no = na·(nc+5), ultralytics with nc. No zoo layer is such an output, but yolov5's test also
        // fires when a width merely equals no (yolov5-effnetv2 at nc 3: its 24-wide stem, 24 = 3·(3+5)), and the
        // v5 family keeps that so its parameter counts equal yolov5's for every nc.
        var unscaledWidth = spec.Anchors is { Length: > 0 } anchorSets ? anchorSets[0].Length / 2 * (nc + 5) : nc;
        var rows = spec.RowsFor(scale);
        var ch = new List<long> { 3 };
        var layers = new List<nn.Module>();
        var infos = new List<LayerInfo>();
        var froms = new List<int[]>();
        var slots = new List<int>();
        var save = new HashSet<int>();
        var first = true;
        var slotOffset = 0;
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            var where = $"{spec.Source}:{row.Line}:{row.Column}";
            if (!ModuleRegistry.TryGet(row.Module, out var def))
                throw new ModelConfigException($"{where}: unknown module '{row.Module}' in layer {i}: {row.Text} (known modules: {string.Join(", ", ModuleRegistry.Names)})");
            var count = first ? 0 : ch.Count;
            var available = first ? 1 : ch.Count;
            var from = new int[row.From.Length];
            for (var k = 0; k < row.From.Length; k++)
            {
                var f = row.From[k];
                var abs = f < 0 ? available + f : f;
                if (abs < 0 || abs >= available || (first && f != -1))
                    throw new ModelConfigException($"{where}: 'from' index {f} of layer {i} is out of range: {(first ? "the first layer can only take -1 (the input)" : $"it can refer to -1…-{available} or 0…{available - 1}")}: {row.Text}");
                from[k] = f == -1 ? -1 : abs;
            }
            long ChOf(int f) => f == -1 ? ch[^1] : ch[f];

            var args = row.Args.Select(a => Resolve(a, nc, spec.Anchors)).ToList();
            var n = row.Repeats > 1 ? Math.Max((int)Math.Round(row.Repeats * gd, MidpointRounding.ToEven), 1) : row.Repeats;
            var nPrinted = n;
            object c2;
            switch (def.Rule)
            {
                case ArgRule.Channels or ArgRule.ChannelsRepeat:
                {
                    var c1 = ChOf(from[0]);
                    var c = Convert.ToDouble(args[0], CultureInfo.InvariantCulture);
                    var co = c != unscaledWidth ? MakeDivisible(Math.Min(c, maxCh) * gw, 8) : (long)c;
                    args = [c1, co, .. args.Skip(1)];
                    if (def.Rule == ArgRule.ChannelsRepeat)
                    {
                        args.Insert(2, (long)n);
                        n = 1;
                    }
                    c2 = co;
                    break;
                }
                case ArgRule.BatchNorm:
                    args = [ChOf(from[0])];
                    c2 = ChOf(from[0]);
                    break;
                case ArgRule.Concat:
                    c2 = from.Sum(ChOf);
                    break;
                case ArgRule.Head:
                    args.Add(from.Select(f => (object?)ChOf(f)).ToList());
                    c2 = 0L;
                    break;
                case ArgRule.MultiOutput:
                    c2 = 0L;
                    break;
                default:
                    c2 = ChOf(from[0]);
                    break;
            }
            var margs = new ModuleArgs(args, knobs);
            nn.Module module;
            try
            {
                module = n > 1 ? new nn.Sequential(Enumerable.Range(0, n).Select(_ => (nn.Module<Tensor, Tensor>)def.Create(margs)).ToArray()) : def.Create(margs);
            }
            catch (Exception e) when (e is ArgumentException or InvalidCastException or FormatException)
            {
                throw new ModelConfigException($"{where}: cannot build layer {i} ({row.Module} with args {Fmt(args)}): {e.Message}");
            }
            var slot = i + slotOffset;
            if (module is IMultiOutput mo)
            {
                if (i != 0) throw new ModelConfigException($"{where}: a multi-output backbone ({row.Module}) must be the first layer");
                ch.Clear();
                for (var k = 0; k < 5 - mo.OutChannels.Length; k++) ch.Add(0);
                ch.AddRange(mo.OutChannels);
                slotOffset = 5 - 1;
            }
            else
            {
                if (first) ch.Clear();
                ch.Add((long)c2);
            }
            first = false;
            foreach (var f in from) if (f != -1) save.Add(f);
            var np = module.parameters().Sum(p => p.numel());
            infos.Add(new LayerInfo(i, slot, row.From, row.FromIsList, nPrinted, np, row.Module, Fmt(args)));
            layers.Add(module);
            froms.Add(from);
            slots.Add(slot);
        }

        var model = new DetectionModel(layers, infos, froms.ToArray(), slots.ToArray(), save)
        {
            Name = name,
            Scale = scale,
            Knobs = knobs,
        };
        foreach (var m in model.modules())
            if (m is BatchNorm2d bn) (bn.eps, bn.momentum) = (1e-3, 0.03);
        ProbeStrides(model, spec);
        model.Head.InitializeBiases();
        return model;
    }

    /// <summary>Strides from a dry run at 256×256: 256 / (output height) per level (yolov5/ultralytics stride probe).</summary>
    static void ProbeStrides(DetectionModel model, ModelSpec spec)
    {
        const int s = 256;
        float[] strides;
        using (new FlopCounter())
        using (no_grad())
        using (var x = zeros([1, 3, s, s]))
        using (var o = model.Forward(x))
            strides = o.Raw.Select(r => (float)s / r.size(model.Family == "v5" ? 2 : 2)).ToArray();
        if (model.Head is DetectV5 d5)
        {
            d5.SetStrides(strides);
            model.AnchorsPx = spec.Anchors;
        }
        else model.Head.stride = strides;
    }

    static Dictionary<string, string> ResolveKnobs(ModelSpec spec, string name, IReadOnlyDictionary<string, string>? given)
    {
        var knobs = new Dictionary<string, string>(spec.Knobs);
        foreach (var (k, v) in given ?? new Dictionary<string, string>())
        {
            if (!spec.Knobs.ContainsKey(k))
                throw new ModelConfigException(spec.Knobs.Count == 0
                    ? $"knob '{k}' does not apply to model '{name}'; it has no knobs"
                    : $"knob '{k}' does not apply to model '{name}'; its knobs: {string.Join(", ", spec.Knobs.Keys)}");
            var rule = spec.KnobRules[k];
            knobs[k] = rule.Canonical(v) ?? throw new ModelConfigException($"knob '{k}' of model '{name}': invalid value '{v}' (expected {rule.Expected})");
        }
        return knobs;
    }

    static object? Resolve(object? a, long nc, double[][]? anchors) => a switch
    {
        Symbol { Name: "nc" } => nc,
        Symbol { Name: "anchors" } => anchors?.Select(l => (object?)l.Select(v => v == Math.Floor(v) ? (object?)(long)v : v).ToList()).ToList(),
        Symbol s => s.Name,
        List<object?> l => l.Select(x => Resolve(x, nc, anchors)).ToList(),
        _ => a,
    };

    /// <summary>Arguments as Python prints the list: [3, 16, 6, 2, 2], [None, 2, 'nearest'], False.</summary>
    public static string Fmt(object? a) => a switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        string s => $"'{s}'",
        double d => d == Math.Floor(d) && Math.Abs(d) < 1e15 ? d.ToString("0.0", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        long or int => Convert.ToString(a, CultureInfo.InvariantCulture)!,
        System.Collections.IEnumerable e => "[" + string.Join(", ", e.Cast<object?>().Select(Fmt)) + "]",
        _ => a.ToString()!,
    };
}
