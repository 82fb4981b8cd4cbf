using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Modules;

/// <summary>Seed 002 stem: Conv2d(bias=False, padding (k−1)/2) → BatchNorm2d → SiLU. (The seed's BN eps 1e-3 /
/// momentum 0.1 is overwritten by yolov5's initialize_weights to 1e-3 / 0.03, as for every BN.) Used for the 1×1
/// projections too, which therefore keep SiLU — the seed's quirk.</summary>
public sealed class Stem : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv;
    readonly BatchNorm2d bn;
    readonly nn.Module<Tensor, Tensor> act;

    public Stem(long c1, long c2, long kernel_size = 3, long stride = 1, long groups = 1) : base("stem")
    {
        var padding = (kernel_size - 1) / 2;
        conv = new Conv2d(c1, c2, kernel_size, stride, padding, 1, groups, bias: false);
        bn = new BatchNorm2d(c2, 1e-3, 0.1);
        act = Act.SiLU(inplace: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => act.call(bn.call(conv.call(x)));
}

/// <summary>Seed 002 SqueezeExcite_efficientv2: avg-pool → conv_reduce (int(c1·ratio), from the expanded channels) →
/// ReLU → conv_expand → sigmoid gate.</summary>
public sealed class SqueezeExcite_efficientv2 : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> gate_fn;
    readonly AdaptiveAvgPool2d avg_pool;
    readonly Conv2d conv_reduce;
    readonly nn.Module<Tensor, Tensor> act1;
    readonly Conv2d conv_expand;

    public SqueezeExcite_efficientv2(long c1, long c2, double se_ratio = 0.25) : base("SqueezeExcite_efficientv2")
    {
        gate_fn = Act.Sigmoid();
        var reduced_chs = (long)(c1 * se_ratio);
        avg_pool = new AdaptiveAvgPool2d(1);
        conv_reduce = new Conv2d(c1, reduced_chs, 1);
        act1 = Act.ReLU(inplace: true);
        conv_expand = new Conv2d(reduced_chs, c2, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var x_se = avg_pool.call(x);
        x_se = conv_reduce.call(x_se);
        x_se = act1.call(x_se);
        x_se = conv_expand.call(x_se);
        x_se = gate_fn.call(x_se);
        return x * x_se.expand_as(x);
    }
}

/// <summary>Seed 002 FusedMBConv: (expansion k×k stem → 1×1 stem) or one k×k stem; shortcut when s == 1 and c1 == c2,
/// through DropPath(0.2), added in place.</summary>
public sealed class FusedMBConv : nn.Module<Tensor, Tensor>
{
    readonly bool has_shortcut, has_expansion;
    readonly Stem? expansion_conv;
    readonly Stem project_conv;
    readonly DropPath? dropout;

    public FusedMBConv(long c1, long c2, long k = 3, long s = 1, long expansion = 1, double se_ration = 0, double drop_connect_rate = 0.2) : base("FusedMBConv")
    {
        has_shortcut = s == 1 && c1 == c2;
        has_expansion = expansion != 1;
        var expanded_c = c1 * expansion;
        if (has_expansion)
        {
            expansion_conv = new Stem(c1, expanded_c, k, s);
            project_conv = new Stem(expanded_c, c2, 1, 1);
        }
        else project_conv = new Stem(c1, c2, k, s);
        if (has_shortcut && drop_connect_rate > 0) dropout = new DropPath(drop_connect_rate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var result = has_expansion ? project_conv.call(expansion_conv!.call(x)) : project_conv.call(x);
        if (has_shortcut)
        {
            if (dropout != null) result = dropout.call(result);
            result.add_(x);
        }
        return result;
    }
}

/// <summary>Seed 002 MBConv: 1×1 expansion stem → depthwise k×k stem → SE (ratio on the expanded channels) → 1×1
/// projection stem (with SiLU, the seed's quirk); shortcut as FusedMBConv.</summary>
public sealed class MBConv : nn.Module<Tensor, Tensor>
{
    readonly bool has_shortcut;
    readonly Stem expansion_conv, dw_conv;
    readonly nn.Module<Tensor, Tensor> se;
    readonly Stem project_conv;
    readonly DropPath? dropout;

    public MBConv(long c1, long c2, long k = 3, long s = 1, long expansion = 1, double se_ration = 0, double drop_connect_rate = 0.2) : base("MBConv")
    {
        has_shortcut = s == 1 && c1 == c2;
        var expanded_c = c1 * expansion;
        expansion_conv = new Stem(c1, expanded_c, 1, 1);
        dw_conv = new Stem(expanded_c, expanded_c, k, s, expanded_c);
        se = se_ration > 0 ? new SqueezeExcite_efficientv2(expanded_c, expanded_c, se_ration) : Act.Identity();
        project_conv = new Stem(expanded_c, c2, 1, 1);
        if (has_shortcut && drop_connect_rate > 0) dropout = new DropPath(drop_connect_rate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var result = expansion_conv.call(x);
        result = dw_conv.call(result);
        result = se.call(result);
        result = project_conv.call(result);
        if (has_shortcut)
        {
            if (dropout != null) result = dropout.call(result);
            result.add_(x);
        }
        return result;
    }
}
