using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Modules;

/// <summary>Seed 001 AKConv (alterable kernel): p_conv predicts 2N offsets for N sampling points, the input is sampled
/// bilinearly at p₀ + pₙ + offset, stacked along rows (einops 'b c h w n -> b c (h n) w') and mixed by an (N,1)
/// conv with stride (N,1) + BN + SiLU. Quirks kept on purpose: the grids use meshgrid(indexing='xy'), so output (r,c)
/// samples input (c,r) (maps come out transposed); p_conv has a bias and starts at zero weight; the seed's _set_lr
/// backward hook builds generators and discards them, so it changes nothing and is not reproduced.</summary>
public sealed class AKConv : nn.Module<Tensor, Tensor>
{
    readonly long num_param, stride;
    readonly nn.Sequential conv;
    readonly Conv2d p_conv;

    public AKConv(long inc, long outc, long num_param, long stride = 1) : base("AKConv")
    {
        this.num_param = num_param;
        this.stride = stride;
        conv = new nn.Sequential(new Conv2d(inc, outc, [num_param, 1], [num_param, 1], [0, 0], bias: false),
            new BatchNorm2d(outc), Act.SiLU());
        p_conv = new Conv2d(inc, 2 * num_param, 3, stride, 1);
        nn.init.zeros_(p_conv.weight);
        register_module("conv", conv);
        register_module("p_conv", p_conv);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var offset = p_conv.call(x);
        var N = offset.size(1) / 2;
        var (h, w) = (offset.size(2), offset.size(3));
        var (H, W) = (x.size(2), x.size(3));
        var p = (P0(h, w, N, x.device) + Pn(N, x.device)) + offset;
        p = p.contiguous().permute(0, 2, 3, 1);
        Tensor Lo(Tensor t) => t.narrow(-1, 0, N);
        Tensor Hi(Tensor t) => t.narrow(-1, N, N);
        Tensor ClampXY(Tensor t) => cat([Lo(t).clamp(0, H - 1), Hi(t).clamp(0, W - 1)], -1);
        var qlt0 = p.detach().floor();
        var qrb0 = qlt0 + 1;
        var q_lt = ClampXY(qlt0).@long();
        var q_rb = ClampXY(qrb0).@long();
        var q_lb = cat([Lo(q_lt), Hi(q_rb)], -1);
        var q_rt = cat([Lo(q_rb), Hi(q_lt)], -1);
        p = ClampXY(p);
        Tensor D(Tensor q, Func<Tensor, Tensor> part) => part(q).to(p.dtype) - part(p);
        var g_lt = (1 + D(q_lt, Lo)) * (1 + D(q_lt, Hi));
        var g_rb = (1 - D(q_rb, Lo)) * (1 - D(q_rb, Hi));
        var g_lb = (1 + D(q_lb, Lo)) * (1 - D(q_lb, Hi));
        var g_rt = (1 - D(q_rt, Lo)) * (1 + D(q_rt, Hi));
        var x_offset = g_lt.unsqueeze(1) * GetXq(x, q_lt, N) + g_rb.unsqueeze(1) * GetXq(x, q_rb, N)
                       + g_lb.unsqueeze(1) * GetXq(x, q_lb, N) + g_rt.unsqueeze(1) * GetXq(x, q_rt, N);
        // rearrange 'b c h w n -> b c (h n) w'
        var (b, c) = (x_offset.size(0), x_offset.size(1));
        var stacked = x_offset.permute(0, 1, 2, 4, 3).reshape(b, c, h * N, w);
        return conv.call(stacked).MoveToOuterDisposeScope();
    }

    static Tensor GetXq(Tensor x, Tensor q, long N)
    {
        var (b, h, w) = (q.size(0), q.size(1), q.size(2));
        var padded_w = x.size(3);
        var c = x.size(1);
        var xf = x.contiguous().view(b, c, -1);
        // integer arithmetic on the long indices (a double scalar would promote them to float)
        var index = Op.Call("aten::add.Tensor", Op.Call("aten::mul.Scalar", q.narrow(-1, 0, N), padded_w), q.narrow(-1, N, N), 1L);
        index = index.contiguous().unsqueeze(1).expand(-1, c, -1, -1, -1).contiguous().view(b, c, -1);
        index = Op.Call("aten::clamp", index, 0L, xf.size(-1) - 1);
        return xf.gather(-1, index).contiguous().view(b, c, h, w, N);
    }

    /// <summary>_get_p_n: the initial sampling shape (meshgrid 'xy' over row_number × base_int, plus a partial row).</summary>
    Tensor Pn(long N, Device device)
    {
        var baseInt = (long)Math.Round(Math.Sqrt(num_param), MidpointRounding.ToEven);
        var rowNumber = num_param / baseInt;
        var modNumber = num_param % baseInt;
        var xs = new List<float>();
        var ys = new List<float>();
        // meshgrid(arange(row_number), arange(base_int), indexing='xy'): shape (base_int, row_number)
        for (var i = 0; i < baseInt; i++)
            for (var j = 0; j < rowNumber; j++) { xs.Add(j); ys.Add(i); }
        for (var i = 0; i < modNumber; i++) { xs.Add(rowNumber); ys.Add(i); }
        return tensor(xs.Concat(ys).ToArray(), [1, 2 * N, 1, 1], device);
    }

    /// <summary>_get_p_0: meshgrid('xy') of arange(0, h·s, s) and arange(0, w·s, s) — shape (w, h) — flattened and
    /// viewed as (h, w), exactly as the seed (transposed when h == w).</summary>
    Tensor P0(long h, long w, long N, Device device)
    {
        var px = new float[h * w];
        var py = new float[h * w];
        for (long k = 0; k < h * w; k++)
        {
            var i = k / h;
            var j = k % h;
            px[k] = j * stride;
            py[k] = i * stride;
        }
        using var tx = tensor(px, [1, 1, h, w], device);
        using var ty = tensor(py, [1, 1, h, w], device);
        using var rx = tx.repeat(1, N, 1, 1);
        using var ry = ty.repeat(1, N, 1, 1);
        return cat([rx, ry], 1);
    }
}

/// <summary>Seed 001 Bottleneck_AKConv: Conv 1×1 → AKConv(c_, c2, num_param), residual when shortcut and c1 == c2.
/// The seed takes g and ignores it (AKConv has no groups), so it is not a parameter here.</summary>
public sealed class Bottleneck_AKConv(long c1, long c2, bool shortcut = true, double e = 0.5, long num_param = 3)
    : ResidualBottleneck("Bottleneck_AKConv", new Conv(c1, Hidden(c2, e), 1, 1), new AKConv(Hidden(c2, e), c2, num_param, 1), shortcut && c1 == c2);

/// <summary>Seed 001 C3_AKConv: C3 with Bottleneck_AKConv blocks.</summary>
public sealed class C3_AKConv : C3
{
    public C3_AKConv(long c1, long c2, long n = 1, bool shortcut = true, long g = 1, double e = 0.5, long num_param = 3)
        : base(c1, c2, 0, shortcut, g, e, "C3_AKConv")
    {
        var c_ = (long)(c2 * e);
        ReplaceBlocks(new nn.Sequential(Enumerable.Range(0, (int)n)
            .Select(_ => (nn.Module<Tensor, Tensor>)new Bottleneck_AKConv(c_, c_, shortcut, 1.0, num_param)).ToArray()));
    }
}
