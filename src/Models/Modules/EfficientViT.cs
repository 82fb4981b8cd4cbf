using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Modules;

/// <summary>Seed 003 Conv2d_BN: a Sequential of c (Conv2d, bias=False) and bn (weight := bn_weight_init, bias := 0).</summary>
public sealed class Conv2d_BN : nn.Module<Tensor, Tensor>
{
    readonly Conv2d c;
    readonly BatchNorm2d bn;

    public Conv2d_BN(long a, long b, long ks = 1, long stride = 1, long pad = 0, long dilation = 1, long groups = 1, double bn_weight_init = 1) : base("Conv2d_BN")
    {
        c = new Conv2d(a, b, ks, stride, pad, dilation, groups, bias: false);
        bn = new BatchNorm2d(b);
        nn.init.constant_(bn.weight, bn_weight_init);
        nn.init.zeros_(bn.bias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => bn.call(c.call(x));
}

/// <summary>timm SqueezeExcite (= SEModule): mean over H, W → fc1 (rd = make_divisible(c·ratio, 8, round_limit=0)) →
/// bn (Identity) → ReLU → fc2 → sigmoid gate.</summary>
public sealed class SqueezeExcite : nn.Module<Tensor, Tensor>
{
    readonly Conv2d fc1, fc2;
    readonly nn.Module<Tensor, Tensor> bn, act, gate;

    public SqueezeExcite(long channels, double rd_ratio = 1.0 / 16) : base("SEModule")
    {
        var rd = TimmMakeDivisible(channels * rd_ratio, 8, 0.0);
        fc1 = new Conv2d(channels, rd, 1);
        bn = Act.Identity();
        act = Act.ReLU();
        fc2 = new Conv2d(rd, channels, 1);
        gate = Act.Sigmoid();
        RegisterComponents();
    }

    public static long TimmMakeDivisible(double v, long divisor = 8, double round_limit = 0.9)
    {
        var nv = Math.Max(divisor, (long)(v + divisor / 2.0) / divisor * divisor);
        if (nv < round_limit * v) nv += divisor;
        return nv;
    }

    public override Tensor forward(Tensor x)
    {
        var x_se = x.mean([2, 3], keepdim: true);
        x_se = fc1.call(x_se);
        x_se = act.call(bn.call(x_se));
        x_se = fc2.call(x_se);
        return x * gate.call(x_se);
    }
}

/// <summary>Seed 003 PatchMerging: 1×1 (4×) → ReLU → DW 3×3 stride 2 → ReLU → SE(0.25) → 1×1 to out_dim.</summary>
public sealed class PatchMerging : nn.Module<Tensor, Tensor>
{
    readonly Conv2d_BN conv1;
    readonly nn.Module<Tensor, Tensor> act;
    readonly Conv2d_BN conv2;
    readonly SqueezeExcite se;
    readonly Conv2d_BN conv3;

    public PatchMerging(long dim, long out_dim) : base("PatchMerging")
    {
        var hid = dim * 4;
        conv1 = new Conv2d_BN(dim, hid, 1, 1, 0);
        act = Act.ReLU();
        conv2 = new Conv2d_BN(hid, hid, 3, 2, 1, groups: hid);
        se = new SqueezeExcite(hid, 0.25);
        conv3 = new Conv2d_BN(hid, out_dim, 1, 1, 0);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => conv3.call(se.call(act.call(conv2.call(act.call(conv1.call(x))))));
}

/// <summary>Seed 003 Residual: x + m(x) (the seed always builds it with drop 0).</summary>
public sealed class Residual : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> m;
    public Residual(nn.Module<Tensor, Tensor> m) : base("Residual") { this.m = m; RegisterComponents(); }

    public override Tensor forward(Tensor x) => x + m.call(x);
}

/// <summary>Seed 003 FFN: pw1 (1×1) → ReLU → pw2 (1×1, BN weight 0).</summary>
public sealed class FFN : nn.Module<Tensor, Tensor>
{
    readonly Conv2d_BN pw1, pw2;
    readonly nn.Module<Tensor, Tensor> act;

    public FFN(long ed, long h) : base("FFN")
    {
        pw1 = new Conv2d_BN(ed, h);
        act = Act.ReLU();
        pw2 = new Conv2d_BN(h, ed, bn_weight_init: 0);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => pw2.call(act.call(pw1.call(x)));
}

/// <summary>Seed 003 CascadedGroupAttention: per head, qkv 1×1 on (its channel chunk + the previous head's output),
/// DW conv on q, softmax(qᵀk·scale + relative-position bias), then proj(ReLU, 1×1). The seed caches the bias gather
/// on .eval(); gathering on every call gives the same values (and never goes stale after loading weights).</summary>
public sealed class CascadedGroupAttention : nn.Module<Tensor, Tensor>
{
    readonly long num_heads, key_dim, d;
    readonly double scale;
    readonly nn.ModuleList<Conv2d_BN> qkvs, dws;
    readonly nn.Sequential proj;
    public readonly nn.Parameter attention_biases;
    readonly Tensor attention_bias_idxs;

    public CascadedGroupAttention(long dim, long key_dim, long num_heads, double attn_ratio, long resolution, long[] kernels) : base("CascadedGroupAttention")
    {
        this.num_heads = num_heads;
        this.key_dim = key_dim;
        scale = Math.Pow(key_dim, -0.5);
        d = (long)(attn_ratio * key_dim);
        qkvs = new nn.ModuleList<Conv2d_BN>();
        dws = new nn.ModuleList<Conv2d_BN>();
        for (var i = 0; i < num_heads; i++)
        {
            qkvs.append(new Conv2d_BN(dim / num_heads, key_dim * 2 + d));
            dws.append(new Conv2d_BN(key_dim, key_dim, kernels[i], 1, kernels[i] / 2, groups: key_dim));
        }
        proj = new nn.Sequential(Act.ReLU(), new Conv2d_BN(d * num_heads, dim, bn_weight_init: 0));
        var offsets = new Dictionary<(long, long), long>();
        var n = resolution * resolution;
        var idxs = new long[n * n];
        var k = 0;
        for (long p1 = 0; p1 < n; p1++)
            for (long p2 = 0; p2 < n; p2++)
            {
                var off = (Math.Abs(p1 / resolution - p2 / resolution), Math.Abs(p1 % resolution - p2 % resolution));
                if (!offsets.TryGetValue(off, out var id)) offsets[off] = id = offsets.Count;
                idxs[k++] = id;
            }
        using (var z = zeros(num_heads, offsets.Count)) attention_biases = new nn.Parameter(z);
        attention_bias_idxs = tensor(idxs, [n, n]);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)   // x (B,C,H,W)
    {
        var (B, H, W) = (x.size(0), x.size(2), x.size(3));
        var trainingab = attention_biases[.., attention_bias_idxs];
        var feats_in = x.chunk(qkvs.Count, 1);
        var feats_out = new List<Tensor>();
        var feat = feats_in[0];
        for (var i = 0; i < qkvs.Count; i++)
        {
            if (i > 0) feat = feat + feats_in[i];   // add the previous output to the input
            feat = qkvs[i].call(feat);
            var qkv = feat.view(B, -1, H, W).split([key_dim, key_dim, d], 1);   // B, C/h, H, W
            var (q, k, v) = (dws[i].call(qkv[0]), qkv[1], qkv[2]);
            (q, k, v) = (q.flatten(2), k.flatten(2), v.flatten(2));   // B, C/h, N
            var attn = q.transpose(-2, -1).matmul(k) * scale + trainingab[i];
            attn = attn.softmax(-1);   // BNN
            feat = v.matmul(attn.transpose(-2, -1)).view(B, d, H, W);   // BCHW
            feats_out.Add(feat);
        }
        return proj.call(cat([.. feats_out], 1));
    }
}

/// <summary>Seed 003 LocalWindowAttention: attention inside window_resolution² windows; the map is zero-padded to a
/// multiple of the window and the padded tokens are attended to without a mask (the seed's behaviour). Maps not
/// larger than a window go straight in — and crash unless exactly 7×7, as the seed does.</summary>
public sealed class LocalWindowAttention : nn.Module<Tensor, Tensor>
{
    readonly long window_resolution;
    readonly CascadedGroupAttention attn;

    public LocalWindowAttention(long dim, long key_dim, long num_heads, double attn_ratio, long window_resolution, long[] kernels) : base("LocalWindowAttention")
    {
        this.window_resolution = window_resolution;
        attn = new CascadedGroupAttention(dim, key_dim, num_heads, attn_ratio, window_resolution, kernels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var (B, C, H, W) = (x.size(0), x.size(1), x.size(2), x.size(3));
        var wr = window_resolution;
        if (H <= wr && W <= wr) return attn.call(x);
        x = x.permute(0, 2, 3, 1);
        var pad_b = (wr - H % wr) % wr;
        var pad_r = (wr - W % wr) % wr;
        var padding = pad_b > 0 || pad_r > 0;
        if (padding) x = nn.functional.pad(x, [0, 0, 0, pad_r, 0, pad_b]);
        var (pH, pW) = (H + pad_b, W + pad_r);
        var (nH, nW) = (pH / wr, pW / wr);
        // window partition, BHWC -> B(nHh)(nWw)C -> BnHnWhwC -> (BnHnW)hwC -> (BnHnW)Chw
        x = x.view(B, nH, wr, nW, wr, C).transpose(2, 3).reshape(B * nH * nW, wr, wr, C).permute(0, 3, 1, 2);
        x = attn.call(x);
        // window reverse, (BnHnW)Chw -> (BnHnW)hwC -> BnHnWhwC -> B(nHh)(nWw)C -> BHWC
        x = x.permute(0, 2, 3, 1).view(B, nH, nW, wr, wr, C).transpose(2, 3).reshape(B, pH, pW, C);
        if (padding) x = x[.., ..(int)H, ..(int)W].contiguous();
        return x.permute(0, 3, 1, 2);
    }
}

/// <summary>Seed 003 EfficientViTBlock: dw0 → ffn0 → mixer (window attention) → dw1 → ffn1, each residual.</summary>
public sealed class EfficientViTBlock : nn.Module<Tensor, Tensor>
{
    readonly Residual dw0, ffn0, mixer, dw1, ffn1;

    public EfficientViTBlock(long ed, long kd, long nh, double ar, long window_resolution, long[] kernels) : base("EfficientViTBlock")
    {
        dw0 = new Residual(new Conv2d_BN(ed, ed, 3, 1, 1, groups: ed, bn_weight_init: 0));
        ffn0 = new Residual(new FFN(ed, ed * 2));
        mixer = new Residual(new LocalWindowAttention(ed, kd, nh, ar, window_resolution, kernels));
        dw1 = new Residual(new Conv2d_BN(ed, ed, 3, 1, 1, groups: ed, bn_weight_init: 0));
        ffn1 = new Residual(new FFN(ed, ed * 2));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => ffn1.call(dw1.call(mixer.call(ffn0.call(dw0.call(x)))));
}

/// <summary>Seed 003 EfficientViT backbone (M0…M5): patch_embed (stride 8) → blocks1 (P3) → blocks2 (P4) → blocks3 (P5);
/// returns all three maps. The seed's 640×640 probe forward at construction is replaced by the known channels.</summary>
public sealed class EfficientViT : nn.Module<Tensor, Tensor>, IMultiOutput
{
    readonly nn.Sequential patch_embed, blocks1, blocks2, blocks3;
    public long[] OutChannels { get; }
    public string Variant { get; }

    public sealed record Config(long[] EmbedDim, long[] Depth, long[] NumHeads, long[] WindowSize, long[] Kernels);

    public static readonly IReadOnlyDictionary<string, Config> Variants = new Dictionary<string, Config>
    {
        ["M0"] = new([64, 128, 192], [1, 2, 3], [4, 4, 4], [7, 7, 7], [7, 5, 3, 3]),
        ["M1"] = new([128, 144, 192], [1, 2, 3], [2, 3, 3], [7, 7, 7], [7, 5, 3, 3]),
        ["M2"] = new([128, 192, 224], [1, 2, 3], [4, 3, 2], [7, 7, 7], [7, 5, 3, 3]),
        ["M3"] = new([128, 240, 320], [1, 2, 3], [4, 3, 4], [7, 7, 7], [5, 5, 5, 5]),
        ["M4"] = new([128, 256, 384], [1, 2, 3], [4, 4, 4], [7, 7, 7], [7, 5, 3, 3]),
        ["M5"] = new([192, 288, 384], [1, 3, 4], [3, 3, 4], [7, 7, 7], [7, 5, 3, 3]),
    };

    public static EfficientViT Create(string variant) =>
        Variants.TryGetValue(variant, out var c) ? new EfficientViT(variant, c)
            : throw new ArgumentException($"unknown EfficientViT variant '{variant}' (M0…M5)");

    EfficientViT(string variant, Config cfg) : base($"EfficientViT_{variant}")
    {
        Variant = variant;
        var e = cfg.EmbedDim;
        long[] keyDim = [16, 16, 16];
        patch_embed = new nn.Sequential(
            new Conv2d_BN(3, e[0] / 8, 3, 2, 1), Act.ReLU(),
            new Conv2d_BN(e[0] / 8, e[0] / 4, 3, 2, 1), Act.ReLU(),
            new Conv2d_BN(e[0] / 4, e[0] / 2, 3, 2, 1), Act.ReLU(),
            new Conv2d_BN(e[0] / 2, e[0], 3, 1, 1));
        var blocks = new[] { new List<nn.Module<Tensor, Tensor>>(), new(), new() };
        string[] downOps = ["subsample", "subsample", ""];
        for (var i = 0; i < 3; i++)
        {
            var ar = (double)e[i] / (keyDim[i] * cfg.NumHeads[i]);
            for (var d = 0; d < cfg.Depth[i]; d++)
                blocks[i].Add(new EfficientViTBlock(e[i], keyDim[i], cfg.NumHeads[i], ar, cfg.WindowSize[i], cfg.Kernels));
            if (downOps[i] == "subsample")
            {
                var blk = blocks[i + 1];
                blk.Add(new nn.Sequential(new Residual(new Conv2d_BN(e[i], e[i], 3, 1, 1, groups: e[i])), new Residual(new FFN(e[i], e[i] * 2))));
                blk.Add(new PatchMerging(e[i], e[i + 1]));
                blk.Add(new nn.Sequential(new Residual(new Conv2d_BN(e[i + 1], e[i + 1], 3, 1, 1, groups: e[i + 1])), new Residual(new FFN(e[i + 1], e[i + 1] * 2))));
            }
        }
        blocks1 = new nn.Sequential(blocks[0].ToArray());
        blocks2 = new nn.Sequential(blocks[1].ToArray());
        blocks3 = new nn.Sequential(blocks[2].ToArray());
        OutChannels = [e[0], e[1], e[2]];
        RegisterComponents();
    }

    public Tensor[] ForwardOutputs(Tensor x)
    {
        var outs = new List<Tensor>();
        x = patch_embed.call(x);
        x = blocks1.call(x);
        outs.Add(x);
        x = blocks2.call(x);
        outs.Add(x);
        x = blocks3.call(x);
        outs.Add(x);
        return [.. outs];
    }

    public override Tensor forward(Tensor x) => throw new InvalidOperationException("EfficientViT returns three maps: use ForwardOutputs");
}
