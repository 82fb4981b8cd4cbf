using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Trainer.Engine;

/// <summary>BatchNorm2d with PyTorch's buffers. The binding's nn.BatchNorm2d (main, e6f0bdc) adds a double 1.0 to
/// the int64 num_batches_tracked in train mode, which libtorch rejects; this one counts with an integer add.</summary>
sealed class TrainableBatchNorm2d : nn.Module<Tensor, Tensor>
{
    readonly nn.Parameter weight, bias;
    readonly Tensor running_mean, running_var, num_batches_tracked;
    readonly double _eps, _momentum;

    public TrainableBatchNorm2d(long c, double eps, double momentum) : base("BatchNorm2d")
    {
        (_eps, _momentum) = (eps, momentum);
        using (var w = ones(c)) weight = new nn.Parameter(w);
        using (var b = zeros(c)) bias = new nn.Parameter(b);
        running_mean = zeros(c);
        running_var = ones(c);
        num_batches_tracked = zeros([], ScalarType.Int64);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (training)
            using (no_grad()) Op.Call("aten::add_.Scalar", num_batches_tracked, 1L, 1L).Dispose();
        return F.batch_norm(x, running_mean, running_var, weight, bias, training, _momentum, _eps);
    }
}

/// <summary>Conv2d + BatchNorm2d (eps 1e-3, momentum 0.03 as yolov5) + SiLU.</summary>
sealed class ConvBnAct : nn.Module<Tensor, Tensor>
{
    readonly nn.Conv2d conv;
    readonly TrainableBatchNorm2d bn;

    public ConvBnAct(long c1, long c2, long k, long s) : base("Conv")
    {
        conv = new nn.Conv2d(c1, c2, k, s, k / 2, bias: false);
        bn = new TrainableBatchNorm2d(c2, 1e-3, 0.03);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var a = conv.call(x);
        using var b = bn.call(a);
        return F.silu(b);
    }
}

/// <summary>A small 3-level detector (strides 8/16/32) with a yolov5-style anchor head, a v8 DFL head or a v10
/// dual head: real training end to end in seconds on a CPU, for tests and demos.</summary>
public sealed class TinyDetector : nn.Module<Tensor, Tensor[]>, IDetectionModel
{
    static readonly float[][][] V5Anchors =
    [
        [[10, 13], [16, 30], [33, 23]],
        [[30, 61], [62, 45], [59, 119]],
        [[116, 90], [156, 198], [373, 326]],
    ];

    readonly nn.Sequential stem;
    readonly ConvBnAct p3, p4, p5;
    readonly nn.ModuleList<nn.Conv2d> heads;
    readonly nn.ModuleList<nn.Conv2d>? heads_one2one;
    readonly int _no, _na;

    public TinyDetector(HeadKind head, int nc, int width = 16) : base("TinyDetector")
    {
        Head = head;
        Nc = nc;
        Strides = [8, 16, 32];
        RegMax = 16;
        stem = new nn.Sequential(new ConvBnAct(3, width / 2, 3, 2), new ConvBnAct(width / 2, width, 3, 2));
        p3 = new ConvBnAct(width, width * 2, 3, 2);
        p4 = new ConvBnAct(width * 2, width * 4, 3, 2);
        p5 = new ConvBnAct(width * 4, width * 4, 3, 2);
        long[] ch = [width * 2, width * 4, width * 4];
        _na = head == HeadKind.V5Anchors ? 3 : 1;
        _no = head == HeadKind.V5Anchors ? 5 + nc : 4 * RegMax + nc;
        heads = new nn.ModuleList<nn.Conv2d>(ch.Select(c => new nn.Conv2d(c, _na * _no, 1)).ToArray());
        if (head == HeadKind.V10Dual) heads_one2one = new nn.ModuleList<nn.Conv2d>(ch.Select(c => new nn.Conv2d(c, _no, 1)).ToArray());
        if (head == HeadKind.V5Anchors)
            AnchorsGrid = V5Anchors.Select((l, i) => l.Select(a => new[] { a[0] / (float)Strides[i], a[1] / (float)Strides[i] }).ToArray()).ToArray();
        RegisterComponents();
        InitBiases(heads);
        if (heads_one2one != null) InitBiases(heads_one2one);
    }

    /// <summary>Head bias priors as yolov5 Detect._initialize_biases / ultralytics Detect.bias_init.</summary>
    void InitBiases(nn.ModuleList<nn.Conv2d> hs)
    {
        using var _ = no_grad();
        for (var i = 0; i < hs.Count; i++)
        {
            var b = hs[i].bias!;
            var s = Strides[i];
            var v = new float[_na * _no];
            for (var a = 0; a < _na; a++)
                for (var k = 0; k < _no; k++)
                {
                    float x;
                    if (Head == HeadKind.V5Anchors)
                        x = k == 4 ? (float)Math.Log(8 / Math.Pow(640 / s, 2)) : k >= 5 ? (float)Math.Log(0.6 / (Nc - 0.99)) : 0f;
                    else
                        x = k < 4 * RegMax ? 1f : (float)Math.Log(5.0 / Nc / Math.Pow(640 / s, 2));
                    v[a * _no + k] = x;
                }
            using var t = tensor(v);
            b.copy_(t).Dispose();
        }
    }

    public nn.Module Module => this;
    public HeadKind Head { get; }
    public int Nc { get; }
    public double[] Strides { get; }
    public float[][][]? AnchorsGrid { get; }
    public int RegMax { get; }

    public Tensor[] Forward(Tensor images) => forward(images);

    public override Tensor[] forward(Tensor x)
    {
        using var s = stem.call(x);
        using var f3 = p3.call(s);
        using var f4 = p4.call(f3);
        using var f5 = p5.call(f4);
        Tensor[] feats = [f3, f4, f5];
        var outs = new List<Tensor>();
        for (var i = 0; i < 3; i++)
        {
            using var y = heads[i].call(feats[i]);
            if (Head == HeadKind.V5Anchors)
            {
                var (b, h, w) = (y.size(0), y.size(2), y.size(3));
                using var v = y.view(b, _na, _no, h, w);
                using var p = v.permute(0, 1, 3, 4, 2);
                outs.Add(p.contiguous());
            }
            else outs.Add(y.alias());
        }
        if (heads_one2one != null)
            for (var i = 0; i < 3; i++)
            {
                // v10: the one-to-one branch sees detached features (as ultralytics v10Detect)
                using var d = feats[i].detach();
                outs.Add(heads_one2one[i].call(d));
            }
        return outs.ToArray();
    }
}
