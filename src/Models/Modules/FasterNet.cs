using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Modules;

/// <summary>Seed 000 Partial_conv3 ('split_cat' forward): a 3×3 conv on the first dim/n_div channels, the rest untouched.</summary>
public sealed class Partial_conv3 : nn.Module<Tensor, Tensor>
{
    readonly long dim_conv3, dim_untouched;
    readonly Conv2d partial_conv3;

    public Partial_conv3(long dim, long n_div = 4) : base("Partial_conv3")
    {
        dim_conv3 = dim / n_div;
        dim_untouched = dim - dim_conv3;
        partial_conv3 = new Conv2d(dim_conv3, dim_conv3, 3, 1, 1, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var x1_x2 = x.split([dim_conv3, dim_untouched], 1);
        var x1 = partial_conv3.call(x1_x2[0]);
        return cat([x1, x1_x2[1]], 1);
    }
}

/// <summary>Seed 000 Faster_Block: x + drop_path(mlp(spatial_mixing(x))), mlp = Conv(dim, dim·ratio, 1) → Conv2d(·, dim, 1,
/// bias=False) (the last conv has no BN/activation, as the seed). Submodule order as the seed: drop_path, mlp,
/// spatial_mixing, adjust_channel. layer_scale_init_value 0 (the seed's default) — no layer_scale parameter.</summary>
public sealed class Faster_Block : nn.Module<Tensor, Tensor>
{
    public readonly DropPath drop_path;
    readonly nn.Sequential mlp;
    readonly Partial_conv3 spatial_mixing;
    readonly Conv? adjust_channel;

    public Faster_Block(long inc, long dim, long n_div = 4, double mlp_ratio = 2, double drop_path = 0.1) : base("Faster_Block")
    {
        this.drop_path = new DropPath(drop_path);
        var hidden = (long)(dim * mlp_ratio);
        mlp = new nn.Sequential(new Conv(dim, hidden, 1), new Conv2d(hidden, dim, 1, bias: false));
        spatial_mixing = new Partial_conv3(dim, n_div);
        if (inc != dim) adjust_channel = new Conv(inc, dim, 1);
        // timm DropPath(0.1) has no state; nn.Identity when drop_path == 0 — both parameter-free.
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (adjust_channel != null) x = adjust_channel.call(x);
        var shortcut = x;
        x = spatial_mixing.call(x);
        return shortcut + drop_path.call(mlp.call(x));
    }
}

/// <summary>Seed 000 C3_Faster: builds a standard C3 (its Bottlenecks are built, then replaced — so `shortcut` is
/// ignored and every Faster_Block is residual, a quirk kept on purpose) with m = n × Faster_Block(c_, c_).</summary>
public sealed class C3_Faster : C3
{
    public C3_Faster(long c1, long c2, long n = 1, bool shortcut = false, long g = 1, double e = 0.5, long n_div = 4, double mlp_ratio = 2)
        : base("C3_Faster", c1, c2, e, c_ => Enumerable.Range(0, (int)n).Select(_ => new Faster_Block(c_, c_, n_div, mlp_ratio))) { }
}
