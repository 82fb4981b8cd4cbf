using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Modules;

/// <summary>
/// Seed 004 DSConv, done as the DSConv paper describes (distribution-shift quantisation of the weights).
/// <para>The seed's forward is a plain F.conv2d: its intweight/alpha tensors are not parameters and never used, so its
/// block size B changes nothing. Here, with bits ≥ 2, the weight (O, I/g, kh, kw) is split along the input-channel
/// depth into consecutive blocks of B channels (the last block shorter). For each (output channel, block, kh, kw) the
/// block's vector v gets an integer kernel q of `bits` bits and one float scale α (the L2-optimal KDS):</para>
/// <code>
/// qmax = 2^(bits−1) − 1;  α₀ = max|v| / qmax                         (float32)
/// repeat 10×:  q = clamp(round_half_to_even(v / α), −2^(bits−1), qmax)   (float32)
///              α = (float)(Σ v·q / Σ q²)                              (sums in float64)
/// ŵ = α · q                                                          (one float32 multiply)
/// </code>
/// <para>The forward convolves with ŵ; gradients pass straight through to the float weights (ŵ is used as
/// ŵ.detach() + (w − w.detach()), which equals ŵ bit for bit and has ∂/∂w = identity). A block of zeros keeps α = 0,
/// ŵ = 0. α is derived, not learned, so the parameter count is the seed's (only `weight`). bits = 0 gives the seed's
/// plain convolution. Seed quirk kept: DSConv2D passes g into DSConv's dilation and d into groups (both 1 here).
/// thop counts the seed's DSConv as 0 FLOPs (it subclasses _ConvNd); we count its true compute.</para>
/// </summary>
public sealed class DSConv : Conv2d
{
    public readonly long block_size;
    public readonly int bits;

    public DSConv(long in_channels, long out_channels, long[] kernel_size, long stride = 1, long[]? padding = null, long dilation = 1,
        long groups = 1, long block_size = 32, int bits = 4)
        : base(in_channels, out_channels, kernel_size, [stride, stride], Pad.Auto(kernel_size, padding, dilation), [dilation, dilation], groups, bias: false, typeName: "DSConv")
    {
        if (block_size < 1) throw new ArgumentException($"DSConv: block_size must be ≥ 1, got {block_size}");
        if (bits != 0 && bits is < 2 or > 16) throw new ArgumentException($"DSConv: bits must be 0 or 2…16, got {bits}");
        this.block_size = block_size;
        this.bits = bits;
    }

    protected override Tensor EffectiveWeight()
    {
        if (bits == 0) return weight;
        Tensor wq;
        using (no_grad()) wq = Quantize(weight, block_size, bits);
        return wq + (weight - weight.detach());   // ŵ forward, identity gradient to the float weights
    }

    /// <summary>ŵ = α·q for a weight (O, I, kh, kw) with blocks of <paramref name="blockSize"/> input channels.</summary>
    public static Tensor Quantize(Tensor w, long blockSize, int bits, int iterations = 10)
    {
        using var scope = NewDisposeScope();
        var (O, I, kh, kw) = (w.size(0), w.size(1), w.size(2), w.size(3));
        var nb = (I + blockSize - 1) / blockSize;
        var padded = nb * blockSize;
        var v = w.detach().to(ScalarType.Float32);
        if (padded != I) v = nn.functional.pad(v, [0, 0, 0, 0, 0, padded - I]);   // zeros add nothing to max, Σvq or Σq²
        v = v.view(O, nb, blockSize, kh, kw);
        var qmax = (1 << (bits - 1)) - 1;
        var qmin = -(1 << (bits - 1));
        var alpha = v.abs().amax([2], keepdim: true) / (double)qmax;        // float32
        var v64 = v.to(ScalarType.Float64);
        Tensor q = null!;
        for (var it = 0; it < iterations; it++)
        {
            var zero = alpha.eq(0.0);
            var safe = where(zero, 1.0, alpha);
            q = (v / safe).round().clamp(qmin, qmax);
            var q64 = q.to(ScalarType.Float64);
            var num = (v64 * q64).sum([2], keepdim: true);
            var den = (q64 * q64).sum([2], keepdim: true);
            var den0 = den.eq(0.0);
            alpha = where(den0, 0.0, num / where(den0, 1.0, den)).to(ScalarType.Float32);
        }
        // q as an integer kernel (int16 holds every q of ≤ 16 bits): a rounded −0.0 becomes 0, so ŵ = α·q is +0.0 there
        var intweight = q.to(ScalarType.Int16);
        var wq = (alpha * intweight).view(O, padded, kh, kw).narrow(1, 0, I).contiguous();
        return scope.MoveToOuter(wq);
    }
}

/// <summary>Seed 004 DSConv2D: an ultralytics Conv whose conv is replaced by DSConv(inc, ouc, k, s, p, dilation=g, groups=d)
/// — the seed swaps the arguments, g to DSConv's dilation and d to its groups (harmless: both are 1 in the seed).</summary>
public sealed class DSConv2D(long inc, long ouc, long[] k, long s = 1, long[]? p = null, long g = 1, long d = 1, bool act = true, long block_size = 32, int bits = 4)
    : Conv("DSConv2D", new DSConv(inc, ouc, k, s, p, dilation: g, groups: d, block_size, bits), ouc, act ? Act.DefaultSiLU : Act.Identity());

/// <summary>Seed 004 Bottleneck_DSconv: Conv k[0] → DSConv2D k[1], residual when shortcut and c1 == c2.</summary>
public sealed class Bottleneck_DSconv(long c1, long c2, bool shortcut = true, long g = 1, double e = 0.5, long block_size = 32, int bits = 4)
    : ResidualBottleneck("Bottleneck_DSconv", new Conv(c1, Hidden(c2, e), [3, 3], 1, null),
        new DSConv2D(Hidden(c2, e), c2, [3, 3], 1, g: g, block_size: block_size, bits: bits), shortcut && c1 == c2);

/// <summary>Seed 004 C2f_DSConv: C2f with cv2 = DSConv2D((2+n)·c, c2, 1) and Bottleneck_DSconv blocks.</summary>
public sealed class C2f_DSConv : C2f
{
    public C2f_DSConv(long c1, long c2, long n = 1, bool shortcut = false, long g = 1, double e = 0.5, long block_size = 32, int bits = 4)
        : base("C2f_DSConv", c1, c2, n, e,
            ch => Enumerable.Range(0, (int)n).Select(_ => (nn.Module<Tensor, Tensor>)new Bottleneck_DSconv(ch, ch, shortcut, g, 1.0, block_size, bits)),
            (cin, cout) => new DSConv2D(cin, cout, [1, 1], block_size: block_size, bits: bits))
    { }
}
