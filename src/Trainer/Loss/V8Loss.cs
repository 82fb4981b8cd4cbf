using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Trainer.Loss;

/// <summary>ultralytics loss gains (default.yaml).</summary>
public sealed record V8LossHyp(double Box = 7.5, double Cls = 0.5, double Dfl = 1.5);

/// <summary>ultralytics v8DetectionLoss: TaskAlignedAssigner, BCE class loss, CIoU + DFL box loss (reg_max 16).
/// Input: per level raw head outputs (b, 4·reg_max + nc, h, w).</summary>
public sealed class V8Loss
{
    readonly V8LossHyp _hyp;
    readonly int _nc, _regMax;
    readonly double[] _strides;
    readonly TaskAlignedAssigner _assigner;

    public V8Loss(V8LossHyp hyp, int nc, double[] strides, int regMax = 16, int topk = 10)
    {
        _hyp = hyp;
        _nc = nc;
        _regMax = regMax;
        _strides = strides;
        _assigner = new TaskAlignedAssigner(topk, nc, 0.5, 6.0);
    }

    /// <summary>Anchor points (cell centres, grid units) and per-point strides, as ultralytics make_anchors.</summary>
    public static (Tensor points, Tensor strides) MakeAnchors(Tensor[] feats, double[] strides, double offset = 0.5)
    {
        var pts = new List<Tensor>();
        var st = new List<Tensor>();
        for (var i = 0; i < feats.Length; i++)
        {
            var (h, w) = (feats[i].size(2), feats[i].size(3));
            var dev = feats[i].device;
            var sx = arange(w, ScalarType.Float32, dev) + offset;
            var sy = arange(h, ScalarType.Float32, dev) + offset;
            var g = meshgrid([sy, sx], "ij");
            pts.Add(stack([g[1], g[0]], -1).view(-1, 2));
            st.Add(full([h * w, 1], strides[i], ScalarType.Float32, dev));
        }
        return (cat(pts.ToArray()), cat(st.ToArray()));
    }

    /// <summary>targets (n, 6) [image, class, x, y, w, h] normalised.</summary>
    public LossResult Compute(Tensor[] feats, Tensor targets)
    {
        var bs = feats[0].size(0);
        var no = _nc + 4 * _regMax;
        var dev = feats[0].device;
        var loss = new Tensor[3];
        using (var scope = NewDisposeScope())
        {
            var flat = cat(feats.Select(f => f.view(bs, no, -1)).ToArray(), 2).split([4L * _regMax, _nc], 1);
            var predScores = flat[1].permute(0, 2, 1).contiguous();
            var predDistri = flat[0].permute(0, 2, 1).contiguous();
            var (imgH, imgW) = (feats[0].size(2) * _strides[0], feats[0].size(3) * _strides[0]);
            var (anchorPoints, strideTensor) = MakeAnchors(feats, _strides);
            var gt = Preprocess(targets.to(dev), bs, imgW, imgH);
            var gtParts = gt.split([1L, 4], 2);
            var (gtLabels, gtBboxes) = (gtParts[0], gtParts[1]);
            var maskGt = gtBboxes.sum([2], keepdim: true).gt(0).@float();
            var predBboxes = BboxDecode(anchorPoints, predDistri);
            var a = _assigner.Assign(predScores.detach().sigmoid(), (predBboxes.detach() * strideTensor).to(gtBboxes.dtype),
                anchorPoints * strideTensor, gtLabels, gtBboxes, maskGt);
            var targetScoresSum = Math.Max(a.TargetScores.sum().item<float>(), 1.0);
            var lcls = F.binary_cross_entropy_with_logits(predScores, a.TargetScores.to(predScores.dtype), reduction: nn.Reduction.None).sum() / targetScoresSum;
            Tensor lbox, ldfl;
            if (a.FgMask.sum().item<long>() > 0)
            {
                var targetBboxes = a.TargetBoxes / strideTensor;
                (lbox, ldfl) = BboxLoss(predDistri, predBboxes, anchorPoints, targetBboxes, a.TargetScores, targetScoresSum, a.FgMask);
            }
            else
            {
                lbox = (predDistri.sum() * 0.0);
                ldfl = (predDistri.sum() * 0.0);
            }
            loss[0] = (lbox * _hyp.Box).reshape(1).MoveToOuterDisposeScope();
            loss[1] = (lcls * _hyp.Cls).reshape(1).MoveToOuterDisposeScope();
            loss[2] = (ldfl * _hyp.Dfl).reshape(1).MoveToOuterDisposeScope();
        }
        var all = cat(loss);
        foreach (var l in loss) l.Dispose();
        var total = all.sum() * bs;
        var items = all.detach();
        all.Dispose();
        return new LossResult(total, items);
    }

    /// <summary>(n, 6) targets → (b, max_n, 5) [cls, x1, y1, x2, y2] in pixels, zero-padded.</summary>
    static Tensor Preprocess(Tensor targets, long bs, double imgW, double imgH)
    {
        var n = targets.size(0);
        if (n == 0) return zeros([bs, 0, 5], device: targets.device);
        var img = targets.select(1, 0).@long().cpu().ToArray<long>();
        var counts = new int[bs];
        foreach (var i in img) counts[i]++;
        var maxN = counts.Max();
        var outT = zeros([bs, maxN, 5], device: targets.device);
        for (var j = 0; j < bs; j++)
        {
            if (counts[j] == 0) continue;
            var rows = targets.index(targets.select(1, 0).eq(j)).slice(1, 1, null);
            outT.select(0, j).slice(0, 0, counts[j]).copy_(rows).Dispose();
        }
        using var scale = tensor(new float[] { (float)imgW, (float)imgH, (float)imgW, (float)imgH }, device: targets.device);
        var boxes = BoxOps.XywhToXyxy(outT.slice(2, 1, 5) * scale);
        return cat([outT.slice(2, 0, 1), boxes], 2);
    }

    Tensor BboxDecode(Tensor anchorPoints, Tensor predDist)
    {
        var (b, a, c) = (predDist.size(0), predDist.size(1), predDist.size(2));
        using var proj = arange(_regMax, ScalarType.Float32, predDist.device).to(predDist.dtype);
        var d = F.softmax(predDist.view(b, a, 4, c / 4), 3).matmul(proj);
        return Dist2Bbox(d, anchorPoints);
    }

    public static Tensor Dist2Bbox(Tensor distance, Tensor anchorPoints, bool xywh = false)
    {
        var lr = distance.chunk(2, -1);
        var x1y1 = anchorPoints - lr[0];
        var x2y2 = anchorPoints + lr[1];
        if (xywh) return cat([(x1y1 + x2y2) / 2, x2y2 - x1y1], -1);
        return cat([x1y1, x2y2], -1);
    }

    (Tensor lbox, Tensor ldfl) BboxLoss(Tensor predDist, Tensor predBboxes, Tensor anchorPoints, Tensor targetBboxes,
        Tensor targetScores, double targetScoresSum, Tensor fgMask)
    {
        var weight = targetScores.sum([-1]).index(fgMask).unsqueeze(-1);
        var iou = BoxOps.BboxIou(predBboxes.index(fgMask), targetBboxes.index(fgMask), xywh: false, ciou: true, form: BoxOps.IouForm.Ultralytics);
        var lossIou = ((1.0 - iou) * weight).sum() / targetScoresSum;
        var xy = targetBboxes.chunk(2, -1);
        var targetLtrb = cat([anchorPoints - xy[0], xy[1] - anchorPoints], -1).clamp(0, _regMax - 1 - 0.01);
        var dfl = DfLoss(predDist.index(fgMask).view(-1, _regMax), targetLtrb.index(fgMask)) * weight;
        return (lossIou, dfl.sum() / targetScoresSum);
    }

    /// <summary>Distribution focal loss: CE to the two integer bins around the target, weighted by distance.</summary>
    static Tensor DfLoss(Tensor predDist, Tensor target)
    {
        var tl = target.@long();
        var tr = tl.AddInt(1);
        var wl = tr - target;
        var wr = 1 - wl;
        var shape = tl.shape;
        return (F.cross_entropy(predDist, tl.view(-1), reduction: nn.Reduction.None).view(shape) * wl
              + F.cross_entropy(predDist, tr.view(-1), reduction: nn.Reduction.None).view(shape) * wr).mean([-1], keepdim: true);
    }
}

/// <summary>YOLOv10 dual assignment: one-to-many (top-k 10) plus one-to-one (top-k 1) v8 losses, summed.
/// Input: the one2many levels then the one2one levels.</summary>
public sealed class V10Loss(V8LossHyp hyp, int nc, double[] strides, int regMax = 16)
{
    readonly V8Loss _one2many = new(hyp, nc, strides, regMax, topk: 10);
    readonly V8Loss _one2one = new(hyp, nc, strides, regMax, topk: 1);

    public LossResult Compute(Tensor[] one2many, Tensor[] one2one, Tensor targets)
    {
        var a = _one2many.Compute(one2many, targets);
        var b = _one2one.Compute(one2one, targets);
        var r = new LossResult(a.Loss + b.Loss, cat([a.Items, b.Items]));
        a.Loss.Dispose(); b.Loss.Dispose(); a.Items.Dispose(); b.Items.Dispose();
        return r;
    }
}
