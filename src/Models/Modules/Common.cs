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
    public readonly Conv2d conv;
    public readonly BatchNorm2d bn;
    public readonly nn.Module<Tensor, Tensor> act;

    public Conv(long c1, long c2, long k = 1, long s = 1, long? p = null, long g = 1, long d = 1, bool act = true,
        nn.Module<Tensor, Tensor>? activation = null)
        : this(c1, c2, [k, k], s, p is null ? null : [p.Value, p.Value], g, d, act, activation) { }

    /// <param name="activation">an activation instance of its own (v10Detect's deep-copied branches), else the shared default</param>
    public Conv(long c1, long c2, long[] k, long s, long[]? p, long g = 1, long d = 1, bool act = true,
        nn.Module<Tensor, Tensor>? activation = null)
        : this("Conv", new Conv2d(c1, c2, k, [s, s], Pad.Auto(k, p, d), [d, d], g, bias: false), c2,
            act ? activation ?? Act.DefaultSiLU : Act.Identity()) { }

    /// <summary>A Conv whose convolution is given (the seeds build Conv and then swap self.conv, as DSConv2D).</summary>
    protected Conv(string typeName, Conv2d conv, long c2, nn.Module<Tensor, Tensor> act) : base(typeName)
    {
        this.conv = conv;
        bn = new BatchNorm2d(c2);
        this.act = act;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => act.call(bn.call(conv.call(x)));
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

    public override Tensor forward(Tensor x) => add ? x + cv2.call(cv1.call(x)) : cv2.call(cv1.call(x));
}

/// <summary>yolov5 / ultralytics Bottleneck: cv1 (k[0]) → cv2 (k[1]), residual when shortcut and c1 == c2.</summary>
public sealed class Bottleneck(long c1, long c2, bool shortcut = true, long g = 1, long k0 = 1, long k1 = 3, double e = 0.5)
    : ResidualBottleneck("Bottleneck", new Conv(c1, Hidden(c2, e), k0, 1), new Conv(Hidden(c2, e), c2, k1, 1, g: g), shortcut && c1 == c2);

/// <summary>yolov5 C3: CSP bottleneck with 3 convolutions.</summary>
public class C3 : nn.Module<Tensor, Tensor>
{
    readonly Conv cv1, cv2, cv3;
    readonly nn.Sequential m;

    public C3(long c1, long c2, long n = 1, bool shortcut = true, long g = 1, double e = 0.5)
        : this("C3", c1, c2, e, c_ => Enumerable.Range(0, (int)n).Select(_ => new Bottleneck(c_, c_, shortcut, g, 1, 3, 1.0))) { }

    /// <summary>A C3 with other blocks in m (C3_Faster, C3_AKConv), built from the hidden width c_.</summary>
    protected C3(string typeName, long c1, long c2, double e, Func<long, IEnumerable<nn.Module<Tensor, Tensor>>> blocks) : base(typeName)
    {
        var c_ = (long)(c2 * e);
        cv1 = new Conv(c1, c_, 1, 1);
        cv2 = new Conv(c1, c_, 1, 1);
        cv3 = new Conv(2 * c_, c2, 1);
        m = new nn.Sequential(blocks(c_).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => cv3.call(cat([m.call(cv1.call(x)), cv2.call(x)], 1));
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
        x = cv1.call(x);
        var y1 = m.call(x);
        var y2 = m.call(y1);
        return cv2.call(cat([x, y1, y2, m.call(y2)], 1));
    }
}

/// <summary>Concatenation of the 'from' outputs along a dimension.</summary>
public sealed class Concat : nn.Module<Tensor, Tensor>, IMultiInput
{
    readonly long d;
    public Concat(long dimension = 1) : base("Concat") { d = dimension; }
    public Tensor ForwardMany(Tensor[] xs) => cat(xs, d);
    public override Tensor forward(Tensor x) => x;
}

/// <summary>ultralytics C2f: cv1 → split in two → n bottlenecks chained on the last part → concat all → cv2.</summary>
public class C2f : nn.Module<Tensor, Tensor>
{
    readonly Conv cv1, cv2;
    readonly nn.ModuleList<nn.Module<Tensor, Tensor>> m;

    public C2f(long c1, long c2, long n = 1, bool shortcut = false, long g = 1, double e = 0.5) : this("C2f", c1, c2, n, e,
        c => Enumerable.Range(0, (int)n).Select(_ => new Bottleneck(c, c, shortcut, g, 3, 3, 1.0)))
    { }

    /// <summary>A C2f with other blocks (C2fCIB, C2f_DSConv) and, optionally, another cv2 (C2f_DSConv's DSConv2D).</summary>
    protected C2f(string typeName, long c1, long c2, long n, double e, Func<long, IEnumerable<nn.Module<Tensor, Tensor>>> blocks,
        Func<long, long, Conv>? makeCv2 = null) : base(typeName)
    {
        var c = (long)(c2 * e);   // hidden channels
        cv1 = new Conv(c1, 2 * c, 1, 1);
        cv2 = makeCv2?.Invoke((2 + n) * c, c2) ?? new Conv((2 + n) * c, c2, 1);
        m = new nn.ModuleList<nn.Module<Tensor, Tensor>>(blocks(c).ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = cv1.call(x).chunk(2, 1).ToList();
        foreach (var b in m) y.Add(b.call(y[^1]));
        return cv2.call(cat([.. y], 1));
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
        conv.weight.requires_grad_(false);
        using (no_grad())
        using (var x = arange(0, c1, 1, ScalarType.Float32))
        using (var w = x.view(1, c1, 1, 1))
            conv.weight.copy_(w);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var (b, a) = (x.size(0), x.size(2));   // batch, channels, anchors
        return conv.call(x.view(b, 4, c1, a).transpose(2, 1).softmax(1)).view(b, 4, a);
    }
}
