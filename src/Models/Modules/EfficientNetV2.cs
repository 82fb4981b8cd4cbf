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
        act = Act.SiLU();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var a = conv.call(x);
        using var b = bn.call(a);
        return act.call(b);
    }
}

/// <summary>Seed 002 SqueezeExcite_efficientv2: avg-pool → conv_reduce (int(c1·ratio), from the expanded channels) →
/// ReLU → conv_expand → sigmoid gate.</summary>
public sealed class SqueezeExcite_efficientv2 : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> gate_fn;
    readonly Conv2d conv_reduce, conv_expand;
    readonly nn.Module<Tensor, Tensor> act1;

    public SqueezeExcite_efficientv2(long c1, long c2, double se_ratio = 0.25) : base("SqueezeExcite_efficientv2")
    {
        gate_fn = Act.Sigmoid();
        var reduced = (long)(c1 * se_ratio);
        var avg_pool = new Lambda();
        register_module("gate_fn", gate_fn);
        register_module("avg_pool", avg_pool);
        conv_reduce = new Conv2d(c1, reduced, 1);
        register_module("conv_reduce", conv_reduce);
        act1 = Act.ReLU();
        register_module("act1", act1);
        conv_expand = new Conv2d(reduced, c2, 1);
        register_module("conv_expand", conv_expand);
    }

    sealed class Lambda() : nn.Module<Tensor, Tensor>("AdaptiveAvgPool2d")
    {
        public override Tensor forward(Tensor x) => nn.functional.adaptive_avg_pool2d(x, [1, 1]);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var s = FlopCounter.Current != null ? zeros([x.size(0), x.size(1), 1, 1]) : nn.functional.adaptive_avg_pool2d(x, [1, 1]);
        s = gate_fn.call(conv_expand.call(act1.call(conv_reduce.call(s))));
        return (x * s.expand_as(x)).MoveToOuterDisposeScope();
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
        var expanded = c1 * expansion;
        if (has_expansion)
        {
            expansion_conv = new Stem(c1, expanded, k, s);
            project_conv = new Stem(expanded, c2, 1, 1);
        }
        else project_conv = new Stem(c1, c2, k, s);
        if (has_shortcut && drop_connect_rate > 0) dropout = new DropPath(drop_connect_rate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var r = has_expansion ? project_conv.call(expansion_conv!.call(x)) : project_conv.call(x);
        if (has_shortcut)
        {
            if (dropout != null) r = dropout.call(r);
            r = r + x;
        }
        return r.MoveToOuterDisposeScope();
    }
}

/// <summary>Seed 002 MBConv: 1×1 expansion stem → depthwise k×k stem → SE (ratio on the expanded channels) → 1×1
/// projection stem (with SiLU, the seed's quirk); shortcut as FusedMBConv.</summary>
public sealed class MBConv : nn.Module<Tensor, Tensor>
{
    readonly bool has_shortcut;
    readonly Stem expansion_conv, dw_conv, project_conv;
    readonly nn.Module<Tensor, Tensor> se;
    readonly DropPath? dropout;

    public MBConv(long c1, long c2, long k = 3, long s = 1, long expansion = 1, double se_ration = 0, double drop_connect_rate = 0.2) : base("MBConv")
    {
        has_shortcut = s == 1 && c1 == c2;
        var expanded = c1 * expansion;
        expansion_conv = new Stem(c1, expanded, 1, 1);
        dw_conv = new Stem(expanded, expanded, k, s, expanded);
        se = se_ration > 0 ? new SqueezeExcite_efficientv2(expanded, expanded, se_ration) : Act.Identity();
        project_conv = new Stem(expanded, c2, 1, 1);
        if (has_shortcut && drop_connect_rate > 0) dropout = new DropPath(drop_connect_rate);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var r = project_conv.call(se.call(dw_conv.call(expansion_conv.call(x))));
        if (has_shortcut)
        {
            if (dropout != null) r = dropout.call(r);
            r = r + x;
        }
        return r.MoveToOuterDisposeScope();
    }
}
