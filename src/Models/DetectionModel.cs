using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models;

/// <summary>One built layer: the row of the per-layer table (yolov5/ultralytics parse_model print).</summary>
public sealed record LayerInfo(int Index, int Slot, int[] From, bool FromIsList, int N, long Params, string Module, string Arguments);

/// <summary>
/// A YOLO detection model built from a model YAML (yolov5 Model / ultralytics DetectionModel).
/// <para>Model API (for the trainer and tools):</para>
/// <list type="bullet">
/// <item><c>Forward(x)</c> → <see cref="HeadOutput"/>. Train mode (<c>train()</c>): <c>Raw</c> only — yolov5: per level
/// (b, na, h, w, 5+nc) pre-sigmoid; yolov8: per level (b, 4·reg_max+nc, h, w); yolov10: <c>Raw</c> = one-to-many and
/// <c>One2One.Raw</c> = one-to-one (same layout). Eval mode (<c>eval()</c>): also <c>Y</c>, decoded for NMS — v5
/// (b, N, 5+nc) [cx, cy, w, h, obj, cls…] in pixels; v8/v10 (b, 4+nc, A) [cx, cy, w, h, cls…] (v10: One2One.Y too).</item>
/// <item><see cref="Strides"/> per level, <see cref="AnchorsPx"/> (v5 only, pixels), <see cref="Nc"/>,
/// <see cref="RegMax"/> (v8/v10), <see cref="Family"/> ("v5" | "v8" | "v10").</item>
/// <item><see cref="SetDropPath"/>(0) turns stochastic depth off (parity fixtures, evaluation).</item>
/// <item>state_dict names equal PyTorch's (<c>model.{i}.…</c>), so PyTorch-trained weights load by name.</item>
/// </list>
/// </summary>
public sealed class DetectionModel : nn.Module<Tensor, Tensor>
{
    public readonly nn.ModuleList<nn.Module> model;
    readonly int[][] _from;
    readonly int[] _slot;
    readonly HashSet<int> _save;

    public IReadOnlyList<LayerInfo> Layers { get; }
    public IDetectHead Head { get; }
    public long Nc => Head.nc;
    public float[] Strides => Head.stride;
    public string Family => Head switch { DetectV5 => "v5", V10Detect => "v10", _ => "v8" };
    public long RegMax => Head is DetectV8 d ? d.reg_max : 0;
    public double[][]? AnchorsPx { get; internal set; }
    public string Name { get; init; } = "model";
    public string? Scale { get; init; }
    public IReadOnlyDictionary<string, string> Knobs { get; init; } = new Dictionary<string, string>();

    internal DetectionModel(List<nn.Module> layers, List<LayerInfo> infos, int[][] from, int[] slot, HashSet<int> save) : base("DetectionModel")
    {
        model = new nn.ModuleList<nn.Module>(layers.ToArray());
        RegisterComponents();
        Layers = infos;
        (_from, _slot, _save) = (from, slot, save);
        Head = layers[^1] as IDetectHead ?? throw new ModelConfigException("the last layer of a model must be a detection head (Detect, v10Detect)");
    }

    public override Tensor forward(Tensor x) => throw new InvalidOperationException("use Forward(x), which returns the head's outputs");

    /// <summary>Runs the layers in order, feeding each its 'from' outputs (ultralytics _predict_once).</summary>
    public HeadOutput Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = new List<Tensor?>();   // outputs
        for (var i = 0; i < model.Count; i++)
        {
            var m = model[i];
            var xs = _from[i].Select(j => j == -1 ? x : y[j] ?? throw new InvalidOperationException($"layer {i}: output {j} was not kept")).ToArray();   // from earlier layers
            if (m is IDetectHead head) return head.ForwardHead(xs).MoveToOuter();
            if (m is IMultiOutput backbone)
            {
                // its maps take the layer slots P1…P5 (the seed numbers the layers after it from 5)
                var outs = backbone.ForwardOutputs(xs[0]);
                y.AddRange(Enumerable.Repeat<Tensor?>(null, 5 - outs.Length));
                y.AddRange(outs);
                x = outs[^1];
                continue;
            }
            var previous = x;
            x = m switch   // run
            {
                IMultiInput mi => mi.ForwardMany(xs),
                nn.Module<Tensor, Tensor> layer => layer.call(xs[0]),
                _ => throw new InvalidOperationException($"layer {i}: {m.name} cannot be called"),
            };
            // an output no later layer takes is freed once the next layer has its own (Python drops it there)
            if (i > 0 && !y.Contains(previous) && !ReferenceEquals(previous, x)) previous.Dispose();
            y.Add(_save.Contains(_slot[i]) ? x : null);   // save output
        }
        throw new InvalidOperationException("model has no detection head");
    }

    /// <summary>Sets every DropPath probability (0 = off, as the parity fixtures).</summary>
    public void SetDropPath(double p)
    {
        foreach (var m in modules())
            if (m is DropPath d) d.drop_prob = p;
    }

    public long ParameterCount => parameters().Sum(p => p.numel());
    public long GradientCount => parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    /// <summary>len(list(model.modules())) as PyTorch counts it (a module shared by reference counts once).</summary>
    public int ModuleCount => modules().Distinct(ReferenceEqualityComparer.Instance).Count();

    /// <summary>GFLOPs of one forward at imgsz×imgsz by thop's rules (<see cref="FlopCounter"/>), from a dry run.</summary>
    public double GFlops(int imgsz = 640) => CountFlops(imgsz).GFlops;

    // thop.profile runs the model in eval mode: the heads decode too, so v8/v10 count their DFL convolutions.
    FlopCounter CountFlops(int imgsz)
    {
        var wasTraining = training;
        eval();
        var counter = new FlopCounter();
        try
        {
            using (counter)
            using (no_grad())
            using (var x = zeros([1, 3, imgsz, imgsz]))
            using (Forward(x)) { }
        }
        finally
        {
            train(wasTraining);
        }
        return counter;
    }

    /// <summary>Parameters and GFLOPs after ultralytics' <c>fuse()</c>, the form YOLOv10's paper and README report:
    /// each Conv's BatchNorm folded into a conv bias (2c parameters → c), RepVGGDW's 3×3 branch folded into its 7×7,
    /// v10Detect's one-to-many branches (cv2, cv3) removed. Counted from the unfused model, which is left as it is.</summary>
    public (long Parameters, double GFlops) FusedCounts(int imgsz = 640)
    {
        var removed = new HashSet<nn.Module>(ReferenceEqualityComparer.Instance);
        void Remove(nn.Module m) { foreach (var x in m.modules()) removed.Add(x); }
        if (Head is V10Detect v10) { Remove(v10.cv2); Remove(v10.cv3); }
        var all = modules().Distinct(ReferenceEqualityComparer.Instance).Cast<nn.Module>().ToList();
        foreach (var r in all.OfType<RepVGGDW>()) Remove(r.conv1);  // its bias merges into conv's fused bias
        var folded = all.OfType<Conv>().Where(c => !removed.Contains(c)).Select(c => (nn.Module)c.bn).ToHashSet(ReferenceEqualityComparer.Instance);

        long parameters = 0;
        foreach (var m in all.Where(m => !removed.Contains(m)))
            parameters += folded.Contains(m) ? ((BatchNorm2d)m).num_features : m.parameters(recurse: false).Sum(p => p.numel());
        var counter = CountFlops(imgsz);
        var macs = counter.Macs - all.Where(m => removed.Contains(m) || folded.Contains(m)).Sum(counter.MacsOf);
        // v10Detect's DFL decodes both branches; without the one-to-many branch it runs once
        if (Head is V10Detect d10) macs -= d10.dfl.modules().Sum(counter.MacsOf) / 2;
        return (parameters, 2 * macs / 1e9);
    }
}
