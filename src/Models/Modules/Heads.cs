using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Modules;

/// <summary>What a detection head returns. Train mode: <see cref="Raw"/> only. Eval mode: also <see cref="Y"/>, the
/// decoded predictions. v10 heads fill <see cref="One2One"/> with the one-to-one branch.</summary>
public sealed class HeadOutput : IDisposable
{
    /// <summary>v5: per level (b, na, h, w, 5+nc) pre-sigmoid; v8/v10: per level (b, 4·reg_max+nc, h, w).</summary>
    public Tensor[] Raw { get; init; } = [];
    /// <summary>Eval only. v5: (b, N, 5+nc) [cx, cy, w, h, obj, cls…] in pixels after sigmoid; v8/v10: (b, 4+nc, A).</summary>
    public Tensor? Y { get; init; }
    /// <summary>v10 only: the one-to-one branch (same layout as this one).</summary>
    public HeadOutput? One2One { get; init; }

    public void Dispose()
    {
        foreach (var t in Raw) t.Dispose();
        Y?.Dispose();
        One2One?.Dispose();
    }

    internal HeadOutput MoveToOuter()
    {
        foreach (var t in Raw) t.MoveToOuterDisposeScope();
        Y?.MoveToOuterDisposeScope();
        One2One?.MoveToOuter();
        return this;
    }
}

/// <summary>A detection head: the last layer of a model.</summary>
public interface IDetectHead
{
    HeadOutput ForwardHead(Tensor[] xs);
    long nc { get; }
    /// <summary>Strides per level, set by the builder's stride probe.</summary>
    float[] stride { get; set; }
    /// <summary>Sets the bias priors of the final convolutions (yolov5 _initialize_biases / ultralytics bias_init).</summary>
    void InitializeBiases();
}

/// <summary>yolov5 v7.0 Detect: one 1×1 conv per level to na·(5+nc) channels, anchors buffer (nl, na, 2) in grid
/// units (pixels / stride), decoding xy = (2σ + grid) · stride, wh = (2σ)² · anchor_grid.</summary>
public sealed class DetectV5 : nn.Module<Tensor, Tensor>, IMultiInput, IDetectHead
{
    public long nc { get; }
    public readonly long no, nl, na;
    public float[] stride { get; set; }
    public readonly Tensor anchors;
    readonly double[][] _anchorsPx;
    public readonly nn.ModuleList<Conv2d> m;

    public DetectV5(long nc, double[][] anchorsPx, long[] ch) : base("Detect")
    {
        this.nc = nc;
        no = nc + 5;   // number of outputs per anchor
        nl = anchorsPx.Length;
        na = anchorsPx[0].Length / 2;
        _anchorsPx = anchorsPx;
        stride = new float[nl];
        anchors = tensor(anchorsPx.SelectMany(a => a.Select(v => (float)v)).ToArray(), [nl, na, 2]);
        m = new nn.ModuleList<Conv2d>(ch.Select(x => new Conv2d(x, no * na, 1)).ToArray());
        RegisterComponents();
    }

    /// <summary>Called once strides are known: anchors /= stride (yolov5 Model.__init__), with check_anchor_order.</summary>
    public void SetStrides(float[] strides)
    {
        stride = strides;
        var a = _anchorsPx.Select(l => l.Select(v => (float)v).ToArray()).ToArray();
        // check_anchor_order: anchor area order must follow stride order
        double Area(float[] l) => Enumerable.Range(0, l.Length / 2).Average(i => (double)l[2 * i] * l[2 * i + 1]);
        var da = Area(a[^1]) - Area(a[0]);
        var ds = strides[^1] - strides[0];
        if (da != 0 && Math.Sign(da) != Math.Sign(ds)) Array.Reverse(a);
        var vals = a.SelectMany((l, i) => l.Select(v => v / strides[i])).ToArray();
        using (no_grad())
        using (var t = tensor(vals, [nl, na, 2]))
            anchors.copy_(t);
    }

    public void InitializeBiases()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (var i = 0; i < nl; i++)
        {
            var b = m[i].bias!.view(na, -1);   // conv.bias(255) to (3,85)
            b.select(1, 4).add_(Math.Log(8 / Math.Pow(640 / stride[i], 2)));   // obj (8 objects per 640 image)
            b.slice(1, 5, 5 + nc).add_(Math.Log(0.6 / (nc - 0.99999)));       // cls
        }
    }

    public Tensor ForwardMany(Tensor[] xs) => throw new InvalidOperationException("use ForwardHead");
    public override Tensor forward(Tensor x) => throw new InvalidOperationException("use ForwardHead");

    public HeadOutput ForwardHead(Tensor[] xs)
    {
        var x = new Tensor[nl];
        var z = new List<Tensor>();   // inference output
        for (var i = 0; i < nl; i++)
        {
            x[i] = m[i].call(xs[i]);   // conv
            var (bs, ny, nx) = (x[i].size(0), x[i].size(2), x[i].size(3));   // x(bs,255,20,20) to x(bs,3,20,20,85)
            x[i] = x[i].view(bs, na, no, ny, nx).permute(0, 1, 3, 4, 2).contiguous();
            if (!training)
            {
                var (grid, anchor_grid) = MakeGrid(nx, ny, i);
                var p = x[i].sigmoid().split([2, 2, nc + 1], 4);
                var (xy, wh, conf) = (p[0], p[1], p[2]);
                xy = (xy * 2 + grid) * stride[i];
                wh = (wh * 2).pow(2) * anchor_grid;
                z.Add(cat([xy, wh, conf], 4).view(bs, na * nx * ny, no));
            }
        }
        return new HeadOutput { Raw = x, Y = training ? null : cat([.. z], 1) };
    }

    (Tensor grid, Tensor anchor_grid) MakeGrid(long nx, long ny, int i)
    {
        var d = anchors.device;
        var shape = new[] { 1, na, ny, nx, 2 };   // grid shape
        var yx = meshgrid([arange(0, ny, 1, ScalarType.Float32, d), arange(0, nx, 1, ScalarType.Float32, d)], "ij");
        var grid = stack([yx[1], yx[0]], 2).expand(shape) - 0.5;   // add grid offset, i.e. y = 2.0 * x - 0.5
        var anchor_grid = (anchors.select(0, i) * stride[i]).view(1, na, 1, 1, 2).expand(shape);
        return (grid, anchor_grid);
    }
}

/// <summary>ultralytics 8.1 Detect (anchor-free, DFL): cv2 (box, 4·reg_max) and cv3 (classes) branches per level.</summary>
public class DetectV8 : nn.Module<Tensor, Tensor>, IMultiInput, IDetectHead
{
    public long nc { get; }
    public readonly long nl, reg_max = 16, no;
    public float[] stride { get; set; }
    public readonly nn.ModuleList<nn.Sequential> cv2, cv3;
    public readonly nn.Module<Tensor, Tensor> dfl;

    public DetectV8(long nc, long[] ch) : this("Detect", nc, ch, v10: false) { }

    protected DetectV8(string typeName, long nc, long[] ch, bool v10) : base(typeName)
    {
        this.nc = nc;
        nl = ch.Length;
        no = nc + reg_max * 4;   // number of outputs per anchor
        stride = new float[nl];
        cv2 = BoxBranch(ch, Act.DefaultSiLU);
        cv3 = v10 ? V10ClsBranch(ch, Act.DefaultSiLU) : new(ch.Select(x => new nn.Sequential(new Conv(x, C3(ch), 3), new Conv(C3(ch), C3(ch), 3), new Conv2d(C3(ch), nc, 1))).ToArray());
        dfl = reg_max > 1 ? new DFL(reg_max) : Act.Identity();
        RegisterComponents();
    }

    long C2(long[] ch) => Math.Max(Math.Max(16, ch[0] / 4), reg_max * 4);   // box channels
    long C3(long[] ch) => Math.Max(ch[0], Math.Min(nc, 100));                 // class channels

    protected nn.ModuleList<nn.Sequential> BoxBranch(long[] ch, nn.Module<Tensor, Tensor> act) =>
        new(ch.Select(x => new nn.Sequential(new Conv(x, C2(ch), 3, activation: act), new Conv(C2(ch), C2(ch), 3, activation: act), new Conv2d(C2(ch), 4 * reg_max, 1))).ToArray());

    /// <summary>v10Detect's lighter classification branch: (DW 3×3, 1×1) twice, then the class conv.</summary>
    protected nn.ModuleList<nn.Sequential> V10ClsBranch(long[] ch, nn.Module<Tensor, Tensor> act)
    {
        var c3 = C3(ch);
        return new(ch.Select(x => new nn.Sequential(
            new nn.Sequential(new Conv(x, x, 3, g: x, activation: act), new Conv(x, c3, 1, activation: act)),
            new nn.Sequential(new Conv(c3, c3, 3, g: c3, activation: act), new Conv(c3, c3, 1, activation: act)),
            new Conv2d(c3, nc, 1))).ToArray());
    }

    public virtual void InitializeBiases() => BiasInit(cv2, cv3);

    /// <summary>ultralytics Detect.bias_init: box 1.0; cls log(5 / nc / (640 / stride)²) (0.01 objects per cell).</summary>
    protected void BiasInit(nn.ModuleList<nn.Sequential> boxes, nn.ModuleList<nn.Sequential> classes)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (var i = 0; i < nl; i++)
        {
            ((Conv2d)boxes[i][2]).bias!.fill_(1.0);
            ((Conv2d)classes[i][2]).bias!.slice(0, 0, nc).fill_(Math.Log(5.0 / nc / Math.Pow(640 / stride[i], 2)));
        }
    }

    public Tensor ForwardMany(Tensor[] xs) => throw new InvalidOperationException("use ForwardHead");
    public override Tensor forward(Tensor x) => throw new InvalidOperationException("use ForwardHead");

    public virtual HeadOutput ForwardHead(Tensor[] xs) => ForwardFeat(xs, cv2, cv3);

    protected HeadOutput ForwardFeat(Tensor[] xs, nn.ModuleList<nn.Sequential> boxes, nn.ModuleList<nn.Sequential> classes)
    {
        var x = new Tensor[nl];
        for (var i = 0; i < nl; i++) x[i] = cat([boxes[i].call(xs[i]), classes[i].call(xs[i])], 1);
        return new HeadOutput { Raw = x, Y = training ? null : Inference(x) };
    }

    /// <summary>Detect's inference path: DFL expectation, dist2bbox (xywh) around the anchor centres, times the
    /// stride; sigmoid classes.</summary>
    Tensor Inference(Tensor[] x)
    {
        var shape = x[0].shape;   // BCHW
        var x_cat = cat(x.Select(xi => xi.view(shape[0], no, -1)).ToArray(), 2);
        var (anchor_points, stride_tensor) = Anchors.Make(x, stride, 0.5);
        var (anchors, strides) = (anchor_points.transpose(0, 1), stride_tensor.transpose(0, 1));
        var box_cls = x_cat.split([reg_max * 4, nc], 1);
        var (box, cls) = (box_cls[0], box_cls[1]);
        var dbox = Anchors.Dist2Bbox(dfl.call(box), anchors.unsqueeze(0), xywh: true, dim: 1) * strides;
        return cat([dbox, cls.sigmoid()], 1);
    }
}

public static class Anchors
{
    /// <summary>ultralytics make_anchors: per level the cell centres (x+offset, y+offset) row-major, and the stride per anchor.</summary>
    public static (Tensor points, Tensor strides) Make(Tensor[] feats, float[] strides, double offset = 0.5)
    {
        using var scope = NewDisposeScope();
        var anchor_points = new List<Tensor>();
        var stride_tensor = new List<Tensor>();
        var device = feats[0].device;
        for (var i = 0; i < strides.Length; i++)
        {
            var (h, w) = (feats[i].size(2), feats[i].size(3));
            var sx = arange(0, w, 1, ScalarType.Float32, device) + offset;   // shift x
            var sy = arange(0, h, 1, ScalarType.Float32, device) + offset;   // shift y
            var yx = meshgrid([sy, sx], "ij");
            anchor_points.Add(stack([yx[1], yx[0]], -1).view(-1, 2));
            stride_tensor.Add(full([h * w, 1], strides[i], ScalarType.Float32, device));
        }
        return (scope.MoveToOuter(cat([.. anchor_points])), scope.MoveToOuter(cat([.. stride_tensor])));
    }

    /// <summary>ultralytics dist2bbox: (left-top, right-bottom) distances around anchor points to xywh or xyxy boxes.</summary>
    public static Tensor Dist2Bbox(Tensor distance, Tensor anchor_points, bool xywh = true, long dim = -1)
    {
        var lt_rb = distance.chunk(2, dim);
        var x1y1 = anchor_points - lt_rb[0];
        var x2y2 = anchor_points + lt_rb[1];
        if (xywh) return cat([(x1y1 + x2y2) / 2, x2y2 - x1y1], dim);   // xywh bbox
        return cat([x1y1, x2y2], dim);   // xyxy bbox
    }
}

/// <summary>THU YOLOv10 v10Detect (ultralytics 8.1): Detect with a lighter cv3, plus one2one_cv2/one2one_cv3 deep
/// copies that see detached features. Train returns both branches' raw maps; eval both decoded (the one-to-one
/// top-k post-processing is left to the caller).</summary>
public sealed class V10Detect : DetectV8
{
    public readonly nn.ModuleList<nn.Sequential> one2one_cv2, one2one_cv3;

    public V10Detect(long nc, long[] ch) : base("v10Detect", nc, ch, v10: true)
    {
        // copy.deepcopy(cv2) / deepcopy(cv3): each copy owns one SiLU (shared within it), counted in the layer totals
        one2one_cv2 = BoxBranch(ch, Act.SiLU());
        one2one_cv3 = V10ClsBranch(ch, Act.SiLU());
        RegisterComponents();
    }

    public override void InitializeBiases()
    {
        BiasInit(cv2, cv3);
        BiasInit(one2one_cv2, one2one_cv3);
    }

    public override HeadOutput ForwardHead(Tensor[] xs)
    {
        var one2one = ForwardFeat(xs.Select(xi => xi.detach()).ToArray(), one2one_cv2, one2one_cv3);
        var one2many = ForwardFeat(xs, cv2, cv3);
        return new HeadOutput { Raw = one2many.Raw, Y = one2many.Y, One2One = one2one };
    }
}
