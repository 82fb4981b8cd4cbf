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
            new BatchNorm2d(outc), Act.SiLU());   // the conv adds the BN and SiLU to compare original Conv in YOLOv5
        p_conv = new Conv2d(inc, 2 * num_param, 3, stride, 1);
        nn.init.zeros_(p_conv.weight);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // N is num_param.
        var offset = p_conv.call(x);
        var N = (int)(offset.size(1) / 2);
        var (H, W) = (x.size(2) - 1, x.size(3) - 1);
        Tensor X(Tensor t) => t[TensorIndex.Ellipsis, ..N];   // t[..., :N]
        Tensor Y(Tensor t) => t[TensorIndex.Ellipsis, N..];   // t[..., N:]
        // (b, 2N, h, w)
        var p = GetP(offset);
        // (b, h, w, 2N)
        p = p.contiguous().permute(0, 2, 3, 1);
        var q_lt = p.detach().floor();
        var q_rb = q_lt + 1;
        q_lt = cat([X(q_lt).clamp(0, H), Y(q_lt).clamp(0, W)], -1).@long();
        q_rb = cat([X(q_rb).clamp(0, H), Y(q_rb).clamp(0, W)], -1).@long();
        var q_lb = cat([X(q_lt), Y(q_rb)], -1);
        var q_rt = cat([X(q_rb), Y(q_lt)], -1);
        // clip p
        p = cat([X(p).clamp(0, H), Y(p).clamp(0, W)], -1);
        // bilinear kernel (b, h, w, N)
        var g_lt = (1 + (X(q_lt).to(p.dtype) - X(p))) * (1 + (Y(q_lt).to(p.dtype) - Y(p)));
        var g_rb = (1 - (X(q_rb).to(p.dtype) - X(p))) * (1 - (Y(q_rb).to(p.dtype) - Y(p)));
        var g_lb = (1 + (X(q_lb).to(p.dtype) - X(p))) * (1 - (Y(q_lb).to(p.dtype) - Y(p)));
        var g_rt = (1 - (X(q_rt).to(p.dtype) - X(p))) * (1 + (Y(q_rt).to(p.dtype) - Y(p)));
        // resampling the features based on the modified coordinates
        var x_q_lt = GetXq(x, q_lt, N);
        var x_q_rb = GetXq(x, q_rb, N);
        var x_q_lb = GetXq(x, q_lb, N);
        var x_q_rt = GetXq(x, q_rt, N);
        // bilinear
        var x_offset = g_lt.unsqueeze(1) * x_q_lt + g_rb.unsqueeze(1) * x_q_rb + g_lb.unsqueeze(1) * x_q_lb + g_rt.unsqueeze(1) * x_q_rt;
        x_offset = ReshapeXOffset(x_offset);
        return conv.call(x_offset);
    }

    /// <summary>_get_p_n: the initial sampling shape (meshgrid 'xy' over row_number × base_int, plus a partial row), (1, 2N, 1, 1).</summary>
    Tensor GetPn(long N, Device device)
    {
        var base_int = (long)Math.Round(Math.Sqrt(num_param), MidpointRounding.ToEven);
        var row_number = num_param / base_int;
        var mod_number = num_param % base_int;
        var p_n_x = new List<float>();
        var p_n_y = new List<float>();
        // meshgrid(arange(row_number), arange(base_int), indexing='xy') has shape (base_int, row_number)
        for (var i = 0; i < base_int; i++)
            for (var j = 0; j < row_number; j++) { p_n_x.Add(j); p_n_y.Add(i); }
        for (var i = 0; i < mod_number; i++) { p_n_x.Add(row_number); p_n_y.Add(i); }
        return tensor(p_n_x.Concat(p_n_y).ToArray(), [1, 2 * N, 1, 1], device);
    }

    /// <summary>_get_p_0: meshgrid('xy') of arange(0, h·s, s) and arange(0, w·s, s) — shape (w, h) — flattened and
    /// viewed as (h, w), exactly as the seed (transposed when h == w), repeated for the N points: (1, 2N, h, w).</summary>
    Tensor GetP0(long h, long w, long N, Device device)
    {
        var p_0_x = new float[h * w];
        var p_0_y = new float[h * w];
        for (long k = 0; k < h * w; k++)
        {
            p_0_x[k] = k % h * stride;
            p_0_y[k] = k / h * stride;
        }
        return cat([tensor(p_0_x, [1, 1, h, w], device).repeat(1, N, 1, 1), tensor(p_0_y, [1, 1, h, w], device).repeat(1, N, 1, 1)], 1);
    }

    Tensor GetP(Tensor offset)
    {
        var (N, h, w) = (offset.size(1) / 2, offset.size(2), offset.size(3));
        var p_n = GetPn(N, offset.device);      // (1, 2N, 1, 1)
        var p_0 = GetP0(h, w, N, offset.device);  // (1, 2N, h, w)
        return p_0 + p_n + offset;
    }

    static Tensor GetXq(Tensor x, Tensor q, int N)
    {
        var (b, h, w) = (q.size(0), q.size(1), q.size(2));
        var padded_w = x.size(3);
        var c = x.size(1);
        x = x.contiguous().view(b, c, -1);   // (b, c, h*w)
        var index = q[TensorIndex.Ellipsis, ..N] * padded_w + q[TensorIndex.Ellipsis, N..];   // offset_x*w + offset_y, (b, h, w, N)
        index = index.contiguous().unsqueeze(1).expand(-1, c, -1, -1, -1).contiguous().view(b, c, -1);   // (b, c, h*w*N)
        index = index.clamp(0, x.size(-1) - 1);
        return x.gather(-1, index).contiguous().view(b, c, h, w, N);
    }

    /// <summary>Stacks the resampled features in the row direction: rearrange 'b c h w n -> b c (h n) w'.</summary>
    static Tensor ReshapeXOffset(Tensor x_offset)
    {
        var (b, c, h, w, n) = (x_offset.size(0), x_offset.size(1), x_offset.size(2), x_offset.size(3), x_offset.size(4));
        return x_offset.permute(0, 1, 2, 4, 3).reshape(b, c, h * n, w);
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
        : base("C3_AKConv", c1, c2, e, c_ => Enumerable.Range(0, (int)n).Select(_ => new Bottleneck_AKConv(c_, c_, shortcut, 1.0, num_param))) { }
}
