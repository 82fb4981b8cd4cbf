using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Models.Modules;

/// <summary>Counts multiply-accumulates the way thop 0.1.1 does for yolov5/ultralytics' printed GFLOPs: one eval-mode
/// forward, each call of a counted module adding
/// <list type="bullet">
/// <item>Conv2d: output elements × C_in/groups × kh·kw (bias not counted);</item>
/// <item>BatchNorm2d: 4 × elements (2 per element, doubled for the affine part);</item>
/// <item>Linear: in_features × output elements;</item>
/// <item>Upsample: output elements (nearest; 11 per element bilinear);</item>
/// <item>AdaptiveAvgPool2d: (input area / output area + 1) × output elements (the sum plus one division);</item>
/// </list>
/// and everything else 0: activations, max pooling, concatenation, additions and any tensor op that is not a module
/// (attention matmuls, x.mean in timm's SE). While a counter is active on this thread (a "dry run"), convolutions and
/// linears return zeros of the right shape instead of computing, so counting a 640×640 forward of an l-scale model
/// costs only memory traffic.</summary>
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

    /// <summary>The multiply-accumulates counted by one module itself, over all its calls.</summary>
    public double MacsOf(nn.Module m) => _byModule.GetValueOrDefault(m);
    public double GFlops => 2 * Macs / 1e9;
    public void Dispose() => t_current = _outer;

    internal static double Elements(long[] shape) => shape.Aggregate(1.0, (a, b) => a * b);
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
    protected virtual Tensor EffectiveWeight() => weight;

    public override Tensor forward(Tensor x)
    {
        if (FlopCounter.Current is { } fc)
        {
            var shape = OutputShape(x.shape);
            fc.Add(this, FlopCounter.Elements(shape) * (in_channels / groups) * kernel_size[0] * kernel_size[1]);
            return zeros(shape, x.dtype, x.device);
        }
        return F.conv2d(x, EffectiveWeight(), bias, stride, padding, dilation, groups);
    }
}

/// <summary>torch.nn.BatchNorm2d, counted by <see cref="FlopCounter"/>.</summary>
public sealed class BatchNorm2d(long num_features, double eps = 1e-5, double momentum = 0.1) : nn.BatchNorm2d(num_features, eps, momentum)
{
    public override Tensor forward(Tensor x)
    {
        if (FlopCounter.Current is { } fc)
        {
            fc.Add(this, 4.0 * x.numel());
            return x;
        }
        return base.forward(x);
    }
}

/// <summary>torch.nn.Linear, counted by <see cref="FlopCounter"/>.</summary>
public sealed class Linear(long in_features, long out_features, bool bias = true) : nn.Linear(in_features, out_features, bias)
{
    public override Tensor forward(Tensor x)
    {
        if (FlopCounter.Current is { } fc)
        {
            var shape = x.shape;
            shape[^1] = out_features;
            fc.Add(this, FlopCounter.Elements(shape) * in_features);
            return zeros(shape, x.dtype, x.device);
        }
        return base.forward(x);
    }
}

/// <summary>torch.nn.Upsample(size=None, scale_factor, mode), counted by <see cref="FlopCounter"/>.</summary>
public sealed class Upsample : nn.Module<Tensor, Tensor>
{
    readonly double scale_factor;
    readonly string mode;
    public Upsample(double scale_factor, string mode = "nearest") : base("Upsample") { (this.scale_factor, this.mode) = (scale_factor, mode); }

    public override Tensor forward(Tensor x)
    {
        var y = F.interpolate(x, null, [scale_factor, scale_factor], mode);
        FlopCounter.Current?.Add(this, y.numel() * (mode == "bilinear" ? 11.0 : 1.0));
        return y;
    }
}

/// <summary>torch.nn.AdaptiveAvgPool2d(output_size), counted by <see cref="FlopCounter"/>.</summary>
public sealed class AdaptiveAvgPool2d : nn.Module<Tensor, Tensor>
{
    readonly long output_size;
    public AdaptiveAvgPool2d(long output_size) : base("AdaptiveAvgPool2d") { this.output_size = output_size; }

    public override Tensor forward(Tensor x)
    {
        var y = F.adaptive_avg_pool2d(x, [output_size, output_size]);
        FlopCounter.Current?.Add(this, ((double)x.size(2) * x.size(3) / (y.size(2) * y.size(3)) + 1) * y.numel());
        return y;
    }
}

/// <summary>torch.nn.MaxPool2d(k, stride, padding).</summary>
public sealed class MaxPool2d : nn.Module<Tensor, Tensor>
{
    readonly long kernel_size, stride, padding;
    public MaxPool2d(long kernel_size, long stride, long padding) : base("MaxPool2d") { (this.kernel_size, this.stride, this.padding) = (kernel_size, stride, padding); }
    public override Tensor forward(Tensor x) => F.max_pool2d(x, [kernel_size, kernel_size], [stride, stride], [padding, padding]);
}

/// <summary>timm's DropPath (stochastic depth per sample): identity in eval mode or with drop_prob 0; in training
/// keeps a sample with probability 1−p and scales it by 1/(1−p).</summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    public double drop_prob;
    public DropPath(double drop_prob = 0) : base("DropPath") { this.drop_prob = drop_prob; }

    public override Tensor forward(Tensor x)
    {
        if (drop_prob == 0 || !training || FlopCounter.Current != null) return x;
        var keep_prob = 1 - drop_prob;
        var shape = new long[x.dim()];   // (B, 1, 1, 1): one draw per sample
        Array.Fill(shape, 1L);
        shape[0] = x.size(0);
        var random_tensor = empty(shape, x.dtype, x.device).bernoulli_(keep_prob);
        if (keep_prob > 0) random_tensor.div_(keep_prob);
        return x * random_tensor;
    }
}

/// <summary>Parameter-free layers with PyTorch's type names (so the layer table and module counts match).</summary>
public static class Act
{
    /// <summary>yolov5/ultralytics Conv.default_act: ONE nn.SiLU instance shared by every Conv (model.modules()
    /// counts it once, which the printed layer counts reflect).</summary>
    public static readonly nn.Module<Tensor, Tensor> DefaultSiLU = nn.SiLU();
    public static nn.Module<Tensor, Tensor> SiLU(bool inplace = false) => nn.SiLU(inplace);
    public static nn.Module<Tensor, Tensor> ReLU(bool inplace = false) => nn.ReLU(inplace);
    public static nn.Module<Tensor, Tensor> Sigmoid() => nn.Sigmoid();
    public static nn.Module<Tensor, Tensor> Identity() => new nn.Identity();
}
