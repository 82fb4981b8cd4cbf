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
        no = nc + 5;
        nl = anchorsPx.Length;
        na = anchorsPx[0].Length / 2;
        _anchorsPx = anchorsPx;
        stride = new float[nl];
        anchors = tensor(anchorsPx.SelectMany(a => a.Select(v => (float)v)).ToArray(), [nl, na, 2]);
        register_buffer("anchors", anchors);
        m = new nn.ModuleList<Conv2d>(ch.Select(x => new Conv2d(x, no * na, 1)).ToArray());
        register_module("m", m);
    }

    /// <summary>Called once strides are known: anchors /= stride (yolov5 Model.__init__), with check_anchor_order.</summary>
    public void SetStrides(float[] strides)
    {
        stride = strides;
        using (no_grad())
        {
            var a = _anchorsPx.Select(l => l.Select(v => (float)v).ToArray()).ToArray();
            // check_anchor_order: anchor area order must follow stride order
            double Area(float[] l) => Enumerable.Range(0, l.Length / 2).Average(i => (double)l[2 * i] * l[2 * i + 1]);
            var da = Area(a[^1]) - Area(a[0]);
            var ds = strides[^1] - strides[0];
            if (da != 0 && Math.Sign(da) != Math.Sign(ds)) Array.Reverse(a);
            var vals = a.SelectMany((l, i) => l.Select(v => v / strides[i])).ToArray();
            using var t = tensor(vals, [nl, na, 2]);
            anchors.copy_(t);
        }
    }

    public void InitializeBiases()
    {
        using (no_grad())
            for (var i = 0; i < nl; i++)
            {
                var s = stride[i];
                using var b = m[i].bias!.view(na, -1);
                using var obj = b.select(1, 4);
                obj.add_(Math.Log(8 / Math.Pow(640 / s, 2)));
                using var cls = b.slice(1, 5, 5 + nc);
                cls.add_(Math.Log(0.6 / (nc - 0.99999)));
            }
    }

    public Tensor ForwardMany(Tensor[] xs) => throw new InvalidOperationException("use ForwardHead");
    public override Tensor forward(Tensor x) => throw new InvalidOperationException("use ForwardHead");

    public HeadOutput ForwardHead(Tensor[] xs)
    {
        var raw = new Tensor[nl];
        var z = new List<Tensor>();
        for (var i = 0; i < nl; i++)
        {
            using var c = m[i].call(xs[i]);
            var (bs, ny, nx) = (c.size(0), c.size(2), c.size(3));
            using var v = c.view(bs, na, no, ny, nx);
            using var p = v.permute(0, 1, 3, 4, 2);
            raw[i] = p.contiguous();
            if (!training && FlopCounter.Current == null)
            {
                using var grid = MakeGrid(nx, ny, out var anchorGrid);
                using var sig = raw[i].sigmoid();
                var parts = sig.split([2, 2, nc + 1], 4);
                using var xy0 = parts[0].mul(2);
                using var xy1 = xy0 + grid;
                using var xy = xy1.mul(stride[i]);
                using var wh0 = parts[1].mul(2);
                using var wh1 = wh0.pow(2);
                using var wh = wh1 * anchorGrid;
                using var y = cat([xy, wh, parts[2]], 4);
                z.Add(y.view(bs, na * nx * ny, no));
                anchorGrid.Dispose();
                foreach (var t in parts) t.Dispose();
            }

            Tensor MakeGrid(long nx_, long ny_, out Tensor ag)
            {
                using var yr = arange(0, ny_, 1, ScalarType.Float32, xs[i].device);
                using var xr = arange(0, nx_, 1, ScalarType.Float32, xs[i].device);
                var mg = meshgrid([yr, xr], "ij");
                using var st = stack([mg[1], mg[0]], 2);
                using var ex = st.expand(1, na, ny_, nx_, 2);
                foreach (var t in mg) t.Dispose();
                using var a = anchors.select(0, i);
                using var a2 = a.mul(stride[i]);
                using var a3 = a2.view(1, na, 1, 1, 2);
                ag = a3.expand(1, na, ny_, nx_, 2);
                return ex - 0.5;
            }
        }
        if (z.Count == 0) return new HeadOutput { Raw = raw };
        var yAll = cat(z.ToArray(), 1);
        foreach (var t in z) t.Dispose();
        return new HeadOutput { Raw = raw, Y = yAll };
    }
}

/// <summary>ultralytics 8.1 Detect (anchor-free, DFL): cv2 (box, 4·reg_max) and cv3 (classes) branches per level.</summary>
public class DetectV8 : nn.Module<Tensor, Tensor>, IMultiInput, IDetectHead
{
    public long nc { get; }
    public readonly long nl, reg_max = 16, no;
    public float[] stride { get; set; }
    public nn.ModuleList<nn.Sequential> cv2, cv3;
    public readonly nn.Module<Tensor, Tensor> dfl;

    public DetectV8(long nc, long[] ch, string typeName = "Detect", bool v10 = false) : base(typeName)
    {
        this.nc = nc;
        nl = ch.Length;
        no = nc + reg_max * 4;
        stride = new float[nl];
        var c2 = Math.Max(Math.Max(16, ch[0] / 4), reg_max * 4);
        var c3 = Math.Max(ch[0], Math.Min(nc, 100));
        cv2 = new nn.ModuleList<nn.Sequential>(ch.Select(x => new nn.Sequential(new Conv(x, c2, 3), new Conv(c2, c2, 3), new Conv2d(c2, 4 * reg_max, 1))).ToArray());
        cv3 = v10 ? V10Cls(ch, c3) : new nn.ModuleList<nn.Sequential>(ch.Select(x => new nn.Sequential(new Conv(x, c3, 3), new Conv(c3, c3, 3), new Conv2d(c3, nc, 1))).ToArray());
        dfl = reg_max > 1 ? new DFL(reg_max) : Act.Identity();
        register_module("cv2", cv2);
        register_module("cv3", cv3);
        register_module("dfl", dfl);
    }

    /// <summary>v10Detect's lighter classification branch: (DW 3×3, 1×1) twice, then the class conv.</summary>
    protected nn.ModuleList<nn.Sequential> V10Cls(long[] ch, long c3) =>
        new(ch.Select(x => new nn.Sequential(
            new nn.Sequential(new Conv(x, x, 3, g: x), new Conv(x, c3, 1)),
            new nn.Sequential(new Conv(c3, c3, 3, g: c3), new Conv(c3, c3, 1)),
            new Conv2d(c3, nc, 1))).ToArray());

    public virtual void InitializeBiases() => InitBiases(cv2, cv3);

    protected void InitBiases(nn.ModuleList<nn.Sequential> boxes, nn.ModuleList<nn.Sequential> classes)
    {
        using (no_grad())
            for (var i = 0; i < nl; i++)
            {
                ((Conv2d)boxes[i][2]).bias!.fill_(1.0);
                using var b = ((Conv2d)classes[i][2]).bias!.slice(0, 0, nc);
                b.fill_(Math.Log(5.0 / nc / Math.Pow(640 / stride[i], 2)));
            }
    }

    public Tensor ForwardMany(Tensor[] xs) => throw new InvalidOperationException("use ForwardHead");
    public override Tensor forward(Tensor x) => throw new InvalidOperationException("use ForwardHead");

    public virtual HeadOutput ForwardHead(Tensor[] xs) => ForwardBranch(xs, cv2, cv3);

    protected HeadOutput ForwardBranch(Tensor[] xs, nn.ModuleList<nn.Sequential> boxes, nn.ModuleList<nn.Sequential> classes)
    {
        var raw = new Tensor[nl];
        for (var i = 0; i < nl; i++)
        {
            using var a = boxes[i].call(xs[i]);
            using var b = classes[i].call(xs[i]);
            raw[i] = cat([a, b], 1);
        }
        if (training || FlopCounter.Current != null) return new HeadOutput { Raw = raw };
        return new HeadOutput { Raw = raw, Y = Decode(raw) };
    }

    /// <summary>Inference decoding: DFL expectation, dist2bbox (xywh) around anchor centres, times stride; sigmoid classes.</summary>
    Tensor Decode(Tensor[] x)
    {
        using var scope = NewDisposeScope();
        var bs = x[0].size(0);
        var xcat = cat(x.Select(t => t.view(bs, no, -1)).ToArray(), 2);
        var (anchorPoints, strideTensor) = Anchors.Make(x, stride, 0.5);
        var ap = anchorPoints.transpose(0, 1);
        var st = strideTensor.transpose(0, 1);
        var parts = xcat.split([reg_max * 4, nc], 1);
        var d = dfl.call(parts[0]);
        var lr = d.chunk(2, 1);
        var a0 = ap.unsqueeze(0);
        var x1y1 = a0 - lr[0];
        var x2y2 = a0 + lr[1];
        var cxy = (x1y1 + x2y2) / 2;
        var wh = x2y2 - x1y1;
        var dbox = cat([cxy, wh], 1) * st;
        var y = cat([dbox, parts[1].sigmoid()], 1);
        return y.MoveToOuterDisposeScope();
    }
}

public static class Anchors
{
    /// <summary>ultralytics make_anchors: per level the cell centres (x+offset, y+offset) row-major, and the stride per anchor.</summary>
    public static (Tensor points, Tensor strides) Make(Tensor[] feats, float[] strides, double offset = 0.5)
    {
        var pts = new List<Tensor>();
        var sts = new List<Tensor>();
        for (var i = 0; i < feats.Length; i++)
        {
            var (h, w) = (feats[i].size(2), feats[i].size(3));
            using var sx0 = arange(0, w, 1, ScalarType.Float32, feats[i].device);
            using var sy0 = arange(0, h, 1, ScalarType.Float32, feats[i].device);
            using var sx = sx0 + offset;
            using var sy = sy0 + offset;
            var mg = meshgrid([sy, sx], "ij");
            using var s = stack([mg[1], mg[0]], -1);
            pts.Add(s.view(-1, 2));
            foreach (var t in mg) t.Dispose();
            sts.Add(full([h * w, 1], strides[i], ScalarType.Float32, feats[i].device));
        }
        var p = cat(pts.ToArray(), 0);
        var st = cat(sts.ToArray(), 0);
        foreach (var t in pts.Concat(sts)) t.Dispose();
        return (p, st);
    }
}

/// <summary>THU YOLOv10 v10Detect (ultralytics 8.1): Detect with a lighter cv3, plus one2one_cv2/one2one_cv3 deep
/// copies that see detached features. Train returns both branches' raw maps; eval both decoded (the one-to-one
/// top-k post-processing is left to the caller).</summary>
public sealed class V10Detect : DetectV8
{
    public readonly nn.ModuleList<nn.Sequential> one2one_cv2, one2one_cv3;

    public V10Detect(long nc, long[] ch) : base(nc, ch, "v10Detect", v10: true)
    {
        var c2 = Math.Max(Math.Max(16, ch[0] / 4), reg_max * 4);
        var c3 = Math.Max(ch[0], Math.Min(nc, 100));
        one2one_cv2 = new nn.ModuleList<nn.Sequential>(ch.Select(x => new nn.Sequential(new Conv(x, c2, 3), new Conv(c2, c2, 3), new Conv2d(c2, 4 * reg_max, 1))).ToArray());
        one2one_cv3 = V10Cls(ch, c3);
        // copy.deepcopy(cv2) / deepcopy(cv3) in the original: each copy gets its own (shared within it) SiLU instance
        foreach (var branch in new nn.Module[] { one2one_cv2, one2one_cv3 })
        {
            var silu = Act.SiLU();
            foreach (var m in branch.modules())
                if (m is Conv c && ReferenceEquals(c.act, Act.DefaultSiLU)) c.ShareActivation(silu);
        }
        register_module("one2one_cv2", one2one_cv2);
        register_module("one2one_cv3", one2one_cv3);
    }

    public override void InitializeBiases()
    {
        InitBiases(cv2, cv3);
        InitBiases(one2one_cv2, one2one_cv3);
    }

    public override HeadOutput ForwardHead(Tensor[] xs)
    {
        var detached = xs.Select(x => x.detach()).ToArray();
        var one2one = ForwardBranch(detached, one2one_cv2, one2one_cv3);
        foreach (var d in detached) d.Dispose();
        var one2many = ForwardBranch(xs, cv2, cv3);
        return new HeadOutput { Raw = one2many.Raw, Y = one2many.Y, One2One = one2one };
    }
}
