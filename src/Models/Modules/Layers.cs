using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Models.Modules;

/// <summary>Counts multiply-accumulates the way thop does (DESIGN §4): conv = output elements × C_in/groups × kh·kw,
/// BatchNorm = 4 × elements, Linear = in_features × output elements; everything else 0. While a counter is active
/// on this thread (a "dry run"), convolutions and linears return zeros of the right shape instead of computing,
/// so counting a 640×640 forward of an l-scale model costs only memory traffic.</summary>
public sealed class FlopCounter : IDisposable
{
    [ThreadStatic] static FlopCounter? t_current;
    readonly FlopCounter? _outer;
    readonly Dictionary<nn.Module, double> _byModule = new(ReferenceEqualityComparer.Instance);
    public double Macs { get; private set; }

    public FlopCounter() { _outer = t_current; t_current = this; }
    internal static FlopCounter? Current => t_current;

    internal void Add(nn.Module counted, double macs)
    {
        Macs += macs;
        _byModule[counted] = _byModule.GetValueOrDefault(counted) + macs;
    }

    /// <summary>The multiply-accumulates counted by one module (a Conv2d, BatchNorm2d or Linear) itself.</summary>
    public double MacsOf(nn.Module m) => _byModule.GetValueOrDefault(m);
    public double GFlops => 2 * Macs / 1e9;
    public void Dispose() => t_current = _outer;
}

/// <summary>torch.nn.Conv2d, counted by <see cref="FlopCounter"/>; subclasses (DSConv) may replace the weight used.</summary>
public class Conv2d : nn.Conv2d
{
    public Conv2d(long in_channels, long out_channels, long[] kernel_size, long[]? stride = null, long[]? padding = null,
        long[]? dilation = null, long groups = 1, bool bias = true, string typeName = "Conv2d")
        : base(in_channels, out_channels, kernel_size, stride ?? [1, 1], padding ?? [0, 0], dilation ?? [1, 1], groups, bias, typeName) { }

    public Conv2d(long c1, long c2, long k, long s = 1, long p = 0, long d = 1, long g = 1, bool bias = true)
        : this(c1, c2, [k, k], [s, s], [p, p], [d, d], g, bias) { }

    public long[] OutputShape(long[] x)
    {
        long Out(int i, long n) => (n + 2 * padding[i] - dilation[i] * (kernel_size[i] - 1) - 1) / stride[i] + 1;
        return [x[0], out_channels, Out(0, x[2]), Out(1, x[3])];
    }

    /// <summary>The weight used by the forward pass (DSConv overrides it with its quantised weight).</summary>
    protected virtual Tensor EffectiveWeight() => weight.alias();

    public override Tensor forward(Tensor x)
    {
        if (FlopCounter.Current is { } fc)
        {
            var shape = OutputShape(x.shape);
            fc.Add(this, (double)shape.Aggregate(1L, (a, b) => a * b) * (in_channels / groups) * kernel_size[0] * kernel_size[1]);
            return zeros(shape, x.dtype, x.device);
        }
        using var w = EffectiveWeight();
        return F.conv2d(x, w, bias, stride, padding, dilation, groups);
    }
}

/// <summary>torch.nn.BatchNorm2d, counted by <see cref="FlopCounter"/> (4 × elements).</summary>
public sealed class BatchNorm2d(long num_features, double eps = 1e-5, double momentum = 0.1) : nn.BatchNorm2d(num_features, eps, momentum)
{
    public override Tensor forward(Tensor x)
    {
        if (FlopCounter.Current is { } fc)
        {
            fc.Add(this, 4.0 * x.numel());
            return x.alias();
        }
        return base.forward(x);
    }
}

/// <summary>torch.nn.Linear, counted by <see cref="FlopCounter"/> (in_features × output elements).</summary>
public sealed class Linear(long in_features, long out_features, bool bias = true) : nn.Linear(in_features, out_features, bias)
{
    public override Tensor forward(Tensor x)
    {
        if (FlopCounter.Current is { } fc)
        {
            var shape = x.shape;
            shape[^1] = out_features;
            fc.Add(this, (double)shape.Aggregate(1L, (a, b) => a * b) * in_features);
            return zeros(shape, x.dtype, x.device);
        }
        return base.forward(x);
    }
}

/// <summary>timm's DropPath (stochastic depth per sample): identity in eval mode or with drop_prob 0; in training
/// keeps a sample with probability 1−p and scales it by 1/(1−p).</summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    public double drop_prob;
    public DropPath(double drop_prob = 0) : base("DropPath") { this.drop_prob = drop_prob; }

    public override Tensor forward(Tensor x)
    {
        if (drop_prob == 0 || !training || FlopCounter.Current != null) return x.alias();
        var keep = 1 - drop_prob;
        var shape = new long[x.dim()];
        shape[0] = x.size(0);
        for (var i = 1; i < shape.Length; i++) shape[i] = 1;
        using var r = empty(shape, x.dtype, x.device);
        using var mask = Op.Call("aten::bernoulli.p", r, keep, Arg.None);
        if (keep > 0) mask.div_(keep);
        return x * mask;
    }
}

/// <summary>Parameter-free layers with PyTorch's type names (so the layer table and module counts match).</summary>
public static class Act
{
    /// <summary>yolov5/ultralytics Conv.default_act: ONE nn.SiLU instance shared by every Conv (model.modules()
    /// counts it once, which the printed layer counts reflect).</summary>
    public static readonly nn.Module<Tensor, Tensor> DefaultSiLU = nn.SiLU();
    public static nn.Module<Tensor, Tensor> SiLU() => nn.SiLU();
    public static nn.Module<Tensor, Tensor> ReLU() => nn.ReLU();
    public static nn.Module<Tensor, Tensor> Sigmoid() => nn.Sigmoid();
    public static nn.Module<Tensor, Tensor> Identity() => new nn.Identity();
}

/// <summary>torch.nn.Upsample(size=None, scale_factor, mode).</summary>
public sealed class Upsample : nn.Module<Tensor, Tensor>
{
    readonly double _scale;
    readonly string _mode;
    public Upsample(double scale, string mode = "nearest") : base("Upsample") { (_scale, _mode) = (scale, mode); }
    public override Tensor forward(Tensor x) => F.interpolate(x, null, [_scale, _scale], _mode);
}

/// <summary>torch.nn.MaxPool2d(k, stride, padding).</summary>
public sealed class MaxPool2d : nn.Module<Tensor, Tensor>
{
    readonly long _k, _s, _p;
    public MaxPool2d(long k, long s, long p) : base("MaxPool2d") { (_k, _s, _p) = (k, s, p); }
    public override Tensor forward(Tensor x) => F.max_pool2d(x, [_k, _k], [_s, _s], [_p, _p]);
}
