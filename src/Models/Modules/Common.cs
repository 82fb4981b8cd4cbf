using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Modules;

/// <summary>A graph layer fed by several earlier outputs (Concat, detection heads).</summary>
public interface IMultiInput
{
    Tensor ForwardMany(Tensor[] xs);
}

/// <summary>A layer returning several feature maps (a multi-output backbone such as EfficientViT: P3, P4, P5).</summary>
public interface IMultiOutput
{
    long[] OutChannels { get; }
    Tensor[] ForwardOutputs(Tensor x);
}

public static class Pad
{
    /// <summary>yolov5/ultralytics autopad: 'same' padding for odd kernels (with dilation).</summary>
    public static long[] Auto(long[] k, long[]? p = null, long d = 1)
    {
        if (p != null) return p;
        var ke = d > 1 ? k.Select(x => d * (x - 1) + 1).ToArray() : k;
        return ke.Select(x => x / 2).ToArray();
    }
}

/// <summary>yolov5 / ultralytics Conv: Conv2d(bias=False) → BatchNorm2d → SiLU (act=False: Identity).</summary>
public class Conv : nn.Module<Tensor, Tensor>
{
    public Conv2d conv;
    public readonly BatchNorm2d bn;
    public nn.Module<Tensor, Tensor> act { get; private set; }

    public Conv(long c1, long c2, long k = 1, long s = 1, long? p = null, long g = 1, long d = 1, bool act = true)
        : this(c1, c2, [k, k], s, p is null ? null : [p.Value, p.Value], g, d, act) { }

    public Conv(long c1, long c2, long[] k, long s, long[]? p, long g = 1, long d = 1, bool act = true,
        nn.Module<Tensor, Tensor>? activation = null, string typeName = "Conv") : base(typeName)
    {
        conv = new Conv2d(c1, c2, k, [s, s], Pad.Auto(k, p, d), [d, d], g, bias: false);
        bn = new BatchNorm2d(c2);
        this.act = activation ?? (act ? Act.DefaultSiLU : Act.Identity());
        register_module("conv", conv);
        register_module("bn", bn);
        register_module("act", this.act);
    }

    /// <summary>Swaps the activation module (v10Detect's deep-copied branches own one SiLU each, as copy.deepcopy gives).</summary>
    internal void ShareActivation(nn.Module<Tensor, Tensor> a)
    {
        act = a;
        register_module("act", a);
    }

    /// <summary>Replaces the convolution keeping its state_dict position (seeds build Conv then swap self.conv).</summary>
    protected void ReplaceConv(Conv2d c)
    {
        conv.Dispose();
        conv = c;
        register_module("conv", c);
    }

    public override Tensor forward(Tensor x)
    {
        using var a = conv.call(x);
        using var b = bn.call(a);
        return act.call(b);
    }
}

/// <summary>The bottleneck shape of yolov5/ultralytics Bottleneck and of the seeds' copies of it (Bottleneck_AKConv,
/// Bottleneck_DSconv, each its own nn.Module in the seed with the same forward): cv1 → cv2, plus the input when
/// add (shortcut and c1 == c2). Subclasses choose the two layers; names cv1, cv2 match the seeds' state_dicts.</summary>
public abstract class ResidualBottleneck : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> cv1, cv2;
    readonly bool add;

    protected ResidualBottleneck(string typeName, nn.Module<Tensor, Tensor> cv1, nn.Module<Tensor, Tensor> cv2, bool add) : base(typeName)
    {
        (this.cv1, this.cv2, this.add) = (cv1, cv2, add);
        RegisterComponents();
    }

    /// <summary>The hidden channels every bottleneck uses: int(c2 · e).</summary>
    protected static long Hidden(long c2, double e) => (long)(c2 * e);

    public override Tensor forward(Tensor x)
    {
        using var a = cv1.call(x);
        var b = cv2.call(a);
        if (!add) return b;
        using (b) return x + b;
    }
}

/// <summary>yolov5 / ultralytics Bottleneck: cv1 (k[0]) → cv2 (k[1]), residual when shortcut and c1 == c2.</summary>
public sealed class Bottleneck(long c1, long c2, bool shortcut = true, long g = 1, long k0 = 1, long k1 = 3, double e = 0.5)
    : ResidualBottleneck("Bottleneck", new Conv(c1, Hidden(c2, e), k0, 1), new Conv(Hidden(c2, e), c2, k1, 1, g: g), shortcut && c1 == c2);

/// <summary>yolov5 C3: CSP bottleneck with 3 convolutions.</summary>
public class C3 : nn.Module<Tensor, Tensor>
{
    protected readonly Conv cv1, cv2, cv3;
    protected nn.Sequential m;

    public C3(long c1, long c2, long n = 1, bool shortcut = true, long g = 1, double e = 0.5, string typeName = "C3") : base(typeName)
    {
        var c_ = (long)(c2 * e);
        cv1 = new Conv(c1, c_, 1, 1);
        cv2 = new Conv(c1, c_, 1, 1);
        cv3 = new Conv(2 * c_, c2, 1);
        m = new nn.Sequential(Enumerable.Range(0, (int)n).Select(_ => (nn.Module<Tensor, Tensor>)new Bottleneck(c_, c_, shortcut, g, 1, 3, 1.0)).ToArray());
        register_module("cv1", cv1);
        register_module("cv2", cv2);
        register_module("cv3", cv3);
        register_module("m", m);
    }

    /// <summary>Replaces the bottleneck stack keeping its state_dict position (C3_Faster does this).</summary>
    protected void ReplaceBlocks(nn.Sequential blocks)
    {
        m.Dispose();
        m = blocks;
        register_module("m", m);
    }

    public override Tensor forward(Tensor x)
    {
        using var a1 = cv1.call(x);
        using var a = m.call(a1);
        using var b = cv2.call(x);
        using var c = cat([a, b], 1);
        return cv3.call(c);
    }
}

/// <summary>yolov5 / ultralytics SPPF: cv1 → three chained max-pools (k, stride 1) → concat → cv2.</summary>
public sealed class SPPF : nn.Module<Tensor, Tensor>
{
    readonly Conv cv1, cv2;
    readonly MaxPool2d m;

    public SPPF(long c1, long c2, long k = 5) : base("SPPF")
    {
        var c_ = c1 / 2;
        cv1 = new Conv(c1, c_, 1, 1);
        cv2 = new Conv(c_ * 4, c2, 1, 1);
        m = new MaxPool2d(k, 1, k / 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var a = cv1.call(x);
        using var y1 = m.call(a);
        using var y2 = m.call(y1);
        using var y3 = m.call(y2);
        using var c = cat([a, y1, y2, y3], 1);
        return cv2.call(c);
    }
}

/// <summary>Concatenation of the 'from' outputs along a dimension.</summary>
public sealed class Concat : nn.Module<Tensor, Tensor>, IMultiInput
{
    readonly long d;
    public Concat(long dimension = 1) : base("Concat") { d = dimension; }
    public Tensor ForwardMany(Tensor[] xs) => cat(xs, d);
    public override Tensor forward(Tensor x) => x.alias();
}

/// <summary>ultralytics C2f: cv1 → split in two → n bottlenecks chained on the last part → concat all → cv2.</summary>
public class C2f : nn.Module<Tensor, Tensor>
{
    protected readonly long c;
    protected readonly Conv cv1, cv2;
    protected readonly nn.ModuleList<nn.Module<Tensor, Tensor>> m;

    public C2f(long c1, long c2, long n = 1, bool shortcut = false, long g = 1, double e = 0.5) : this("C2f", c1, c2, n, e,
        ch => Enumerable.Range(0, (int)n).Select(_ => (nn.Module<Tensor, Tensor>)new Bottleneck(ch, ch, shortcut, g, 3, 3, 1.0)))
    { }

    protected C2f(string typeName, long c1, long c2, long n, double e, Func<long, IEnumerable<nn.Module<Tensor, Tensor>>> blocks,
        Func<long, long, Conv>? makeCv2 = null) : base(typeName)
    {
        c = (long)(c2 * e);
        cv1 = new Conv(c1, 2 * c, 1, 1);
        cv2 = makeCv2?.Invoke((2 + n) * c, c2) ?? new Conv((2 + n) * c, c2, 1);
        m = new nn.ModuleList<nn.Module<Tensor, Tensor>>(blocks(c).ToArray());
        register_module("cv1", cv1);
        register_module("cv2", cv2);
        register_module("m", m);
    }

    public override Tensor forward(Tensor x)
    {
        using var a = cv1.call(x);
        var y = a.chunk(2, 1).ToList();
        foreach (var b in m) y.Add(b.call(y[^1]));
        using var cat_ = cat(y.ToArray(), 1);
        foreach (var t in y) t.Dispose();
        return cv2.call(cat_);
    }
}

/// <summary>ultralytics DFL: expectation over reg_max bins with a frozen 1×1 conv whose weight is 0..c1−1.</summary>
public sealed class DFL : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv;
    readonly long c1;

    public DFL(long c1 = 16) : base("DFL")
    {
        this.c1 = c1;
        conv = new Conv2d(c1, 1, 1, bias: false);
        using (no_grad())
        using (var w = arange(0, c1, 1, ScalarType.Float32).view(1, c1, 1, 1))
            conv.weight.copy_(w);
        conv.weight.requires_grad_(false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var (b, a) = (x.size(0), x.size(2));
        using var v = x.view(b, 4, c1, a);
        using var t = v.transpose(2, 1);
        using var s = nn.functional.softmax(t, 1);
        using var y = conv.call(s);
        return y.view(b, 4, a);
    }
}
