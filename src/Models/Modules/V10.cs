using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Modules;

/// <summary>YOLOv10 SCDown: pointwise Conv to c2, then a depthwise k×k stride-s Conv without activation.</summary>
public sealed class SCDown : nn.Module<Tensor, Tensor>
{
    readonly Conv cv1, cv2;
    public SCDown(long c1, long c2, long k, long s) : base("SCDown")
    {
        cv1 = new Conv(c1, c2, 1, 1);
        cv2 = new Conv(c2, c2, k, s, g: c2, act: false);
        RegisterComponents();
    }
    public override Tensor forward(Tensor x) => cv2.call(cv1.call(x));
}

/// <summary>YOLOv10 RepVGGDW (training form): SiLU(DW 7×7 Conv + DW 3×3 Conv), both without activation.</summary>
public sealed class RepVGGDW : nn.Module<Tensor, Tensor>
{
    internal readonly Conv conv, conv1;
    readonly nn.Module<Tensor, Tensor> act;
    public RepVGGDW(long ed) : base("RepVGGDW")
    {
        conv = new Conv(ed, ed, 7, 1, 3, g: ed, act: false);
        conv1 = new Conv(ed, ed, 3, 1, 1, g: ed, act: false);
        act = Act.SiLU();
        RegisterComponents();
    }
    public override Tensor forward(Tensor x) => act.call(conv.call(x) + conv1.call(x));
}

/// <summary>YOLOv10 CIB: DW3×3 → 1×1 → (DW3×3 | RepVGGDW if lk) → 1×1 → DW3×3, residual when shortcut and c1 == c2.</summary>
public sealed class CIB : nn.Module<Tensor, Tensor>
{
    readonly nn.Sequential cv1;
    readonly bool add;
    public CIB(long c1, long c2, bool shortcut = true, double e = 0.5, bool lk = false) : base("CIB")
    {
        var c_ = (long)(c2 * e);
        cv1 = new nn.Sequential(
            new Conv(c1, c1, 3, g: c1),
            new Conv(c1, 2 * c_, 1),
            lk ? new RepVGGDW(2 * c_) : new Conv(2 * c_, 2 * c_, 3, g: 2 * c_),
            new Conv(2 * c_, c2, 1),
            new Conv(c2, c2, 3, g: c2));
        add = shortcut && c1 == c2;
        RegisterComponents();
    }
    public override Tensor forward(Tensor x) => add ? x + cv1.call(x) : cv1.call(x);
}

/// <summary>YOLOv10 C2fCIB: C2f whose bottlenecks are CIB blocks.</summary>
public sealed class C2fCIB : C2f
{
    public C2fCIB(long c1, long c2, long n = 1, bool shortcut = false, bool lk = false, long g = 1, double e = 0.5)
        : base("C2fCIB", c1, c2, n, e, ch => Enumerable.Range(0, (int)n).Select(_ => (nn.Module<Tensor, Tensor>)new CIB(ch, ch, shortcut, 1.0, lk))) { }
}

/// <summary>YOLOv10 Attention: qkv 1×1 Conv, per-head softmax(qᵀk·scale), v·attnᵀ plus a DW 3×3 positional
/// encoding of v, then proj.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    readonly long num_heads, head_dim, key_dim;
    readonly double scale;
    readonly Conv qkv, proj, pe;

    public Attention(long dim, long num_heads = 8, double attn_ratio = 0.5) : base("Attention")
    {
        if (num_heads < 1) throw new ArgumentException($"Attention needs at least one head, got num_heads {num_heads} for dim {dim}");
        this.num_heads = num_heads;
        head_dim = dim / num_heads;
        key_dim = (long)(head_dim * attn_ratio);
        scale = Math.Pow(key_dim, -0.5);
        var nh_kd = key_dim * num_heads;
        var h = dim + nh_kd * 2;
        qkv = new Conv(dim, h, 1, act: false);
        proj = new Conv(dim, dim, 1, act: false);
        pe = new Conv(dim, dim, 3, 1, g: dim, act: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var (B, C, H, W) = (x.size(0), x.size(1), x.size(2), x.size(3));
        var N = H * W;
        var qkv_ = qkv.call(x).view(B, num_heads, key_dim * 2 + head_dim, N).split([key_dim, key_dim, head_dim], 2);
        var (q, k, v) = (qkv_[0], qkv_[1], qkv_[2]);
        var attn = q.transpose(-2, -1).matmul(k) * scale;
        attn = attn.softmax(-1);
        x = v.matmul(attn.transpose(-2, -1)).view(B, C, H, W) + pe.call(v.reshape(B, C, H, W));
        return proj.call(x);
    }
}

/// <summary>YOLOv10 PSA: split cv1's output in two halves; b += attn(b); b += ffn(b); cv2(cat(a, b)).</summary>
public sealed class PSA : nn.Module<Tensor, Tensor>
{
    readonly long c;
    readonly Conv cv1, cv2;
    readonly Attention attn;
    readonly nn.Sequential ffn;

    public PSA(long c1, long c2, double e = 0.5) : base("PSA")
    {
        if (c1 != c2) throw new ArgumentException($"PSA needs c1 == c2, got {c1} and {c2}");
        c = (long)(c1 * e);
        // ultralytics gives attention c // 64 heads, so c < 64 means 0 heads and a ZeroDivisionError in Attention
        if (c / 64 < 1)
            throw new ArgumentException($"PSA needs at least {(long)Math.Ceiling(64 / e)} input channels (its attention gets c1·e // 64 heads of 64 channels, c1·e = {c}), got {c1}; widen the layer or the scale");
        cv1 = new Conv(c1, 2 * c, 1, 1);
        cv2 = new Conv(2 * c, c1, 1);
        attn = new Attention(c, num_heads: c / 64, attn_ratio: 0.5);
        ffn = new nn.Sequential(new Conv(c, c * 2, 1), new Conv(c * 2, c, 1, act: false));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var ab = cv1.call(x).split([c, c], 1);
        var (a, b) = (ab[0], ab[1]);
        b = b + attn.call(b);
        b = b + ffn.call(b);
        return cv2.call(cat([a, b], 1));
    }
}
