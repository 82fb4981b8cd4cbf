using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Trainer.Loss;

/// <summary>yolov5 hyper-parameters the loss reads (hyp.scratch-low defaults before train.py's scaling).</summary>
public sealed record V5LossHyp(double Box = 0.05, double Cls = 0.5, double Obj = 1.0, double AnchorT = 4.0,
    double ClsPw = 1.0, double ObjPw = 1.0, double LabelSmoothing = 0.0)
{
    /// <summary>train.py v7.0 scaling to the number of levels, classes and image size.</summary>
    public V5LossHyp ScaledFor(int nl, int nc, int imgsz) => this with
    {
        Box = Box * (3.0 / nl),
        Cls = Cls * (nc / 80.0 * 3.0 / nl),
        Obj = Obj * (Math.Pow(imgsz / 640.0, 2) * 3.0 / nl),
    };
}

/// <summary>Targets matched to one level by build_targets: image, anchor, cell, box in grid units, anchor size, class.</summary>
public sealed record V5LevelTargets(Tensor B, Tensor A, Tensor Gj, Tensor Gi, Tensor TBox, Tensor Anch, Tensor TCls);

/// <summary>The loss value (× batch size, the value to backpropagate) and its parts [lbox, lobj, lcls].</summary>
public sealed record LossResult(Tensor Loss, Tensor Items);

/// <summary>yolov5 v7.0 ComputeLoss: anchor matching with 5 neighbour offsets, CIoU box loss, objectness BCE with
/// IoU targets (gr = 1) and level balance [4, 1, 0.4], class BCE with cp/cn.</summary>
public sealed class V5Loss
{
    readonly V5LossHyp _hyp;
    readonly int _nc;
    readonly float[][][] _anchors;  // [level][anchor][w,h] in grid units
    readonly double[] _balance;

    public V5Loss(V5LossHyp hyp, int nc, float[][][] anchorsGridUnits)
    {
        _hyp = hyp;
        _nc = nc;
        _anchors = anchorsGridUnits;
        _balance = anchorsGridUnits.Length == 3 ? [4.0, 1.0, 0.4] : [4.0, 1.0, 0.25, 0.06, 0.02];
    }

    int Na => _anchors[0].Length;

    /// <summary>preds: per level (b, na, h, w, 5+nc) raw outputs; targets: (n, 6) [image, class, x, y, w, h] normalised.</summary>
    public LossResult Compute(Tensor[] preds, Tensor targets)
    {
        var device = preds[0].device;
        var (cp, cn) = (1.0 - 0.5 * _hyp.LabelSmoothing, 0.5 * _hyp.LabelSmoothing);
        using var clsPw = tensor(new float[] { (float)_hyp.ClsPw }, device: device);
        using var objPw = tensor(new float[] { (float)_hyp.ObjPw }, device: device);
        var lbox = zeros([1], device: device);
        var lobj = zeros([1], device: device);
        var lcls = zeros([1], device: device);
        var built = BuildTargets(preds, targets);
        var bs = preds[0].size(0);
        for (var i = 0; i < preds.Length; i++)
        {
            using var scope = NewDisposeScope();
            var pi = preds[i];
            var t = built[i];
            var tobj = zeros(pi.shape[..4], pi.dtype, device);
            var n = t.B.size(0);
            if (n > 0)
            {
                var ps = pi.index(t.B, t.A, t.Gj, t.Gi);
                var parts = ps.split([2, 2, 1, _nc], 1);
                var pxy = parts[0].sigmoid() * 2 - 0.5;
                var pwh = (parts[1].sigmoid() * 2).pow(2) * t.Anch;
                var pbox = cat([pxy, pwh], 1);
                var iou = BoxOps.BboxIou(pbox, t.TBox, ciou: true).squeeze();
                lbox.add_((1.0 - iou).mean());
                var iouT = iou.detach().clamp(0).to(tobj.dtype);
                // index_put without accumulate: several matches on one cell, the last write wins (CPU), as in yolov5
                tobj.index_put_([t.B, t.A, t.Gj, t.Gi], iouT);
                if (_nc > 1)
                {
                    var tc = full_like(parts[3], cn);
                    tc.index_put_([arange(n, device: device), t.TCls], tensor(cp, tc.dtype, device));
                    lcls.add_(F.binary_cross_entropy_with_logits(parts[3], tc, pos_weight: clsPw));
                }
            }
            var obji = F.binary_cross_entropy_with_logits(pi.select(-1, 4), tobj, pos_weight: objPw);
            lobj.add_(obji * _balance[i]);
        }
        foreach (var t in built) DisposeAll(t);
        lbox.mul_(_hyp.Box);
        lobj.mul_(_hyp.Obj);
        lcls.mul_(_hyp.Cls);
        var loss = (lbox + lobj + lcls) * bs;
        var items = cat([lbox, lobj, lcls]).detach();
        lbox.Dispose(); lobj.Dispose(); lcls.Dispose();
        return new LossResult(loss, items);
    }

    static void DisposeAll(V5LevelTargets t)
    {
        t.B.Dispose(); t.A.Dispose(); t.Gj.Dispose(); t.Gi.Dispose(); t.TBox.Dispose(); t.Anch.Dispose(); t.TCls.Dispose();
    }

    /// <summary>yolov5 v7.0 build_targets: per level the matched (image, anchor, gj, gi), tbox, anchors and classes.</summary>
    public V5LevelTargets[] BuildTargets(Tensor[] preds, Tensor targets)
    {
        var device = targets.device;
        var na = Na;
        var nt = targets.size(0);
        var result = new V5LevelTargets[preds.Length];
        using var outer = NewDisposeScope();
        var ai = arange(na, ScalarType.Float32, device).view(na, 1).repeat(1, nt);
        var T = cat([targets.repeat(na, 1, 1), ai.unsqueeze(-1)], 2);  // (na, nt, 7)
        const double g = 0.5;
        var off = tensor(new float[] { 0, 0, 1, 0, 0, 1, -1, 0, 0, -1 }, [5, 2], device) * g;
        for (var i = 0; i < preds.Length; i++)
        {
            var shp = preds[i].shape;  // (b, na, h, w, no)
            var (h, w) = (shp[2], shp[3]);
            var anchorsI = tensor(_anchors[i].SelectMany(a => a).ToArray(), [na, 2], device);
            var gain = tensor(new float[] { 1, 1, w, h, w, h, 1 }, device: device);
            var t = T * gain;
            Tensor offsets;
            if (nt > 0)
            {
                var r = t.slice(2, 4, 6) / anchorsI.unsqueeze(1);
                var keep = r.maximum(1.0 / r).max(2).values < _hyp.AnchorT;
                t = t.index(keep);
                var gxy = t.slice(1, 2, 4);
                var gxi = tensor(new float[] { w, h }, device: device) - gxy;
                var jk = ((gxy.remainder(1) < g) & (gxy > 1)).t();
                var lm = ((gxi.remainder(1) < g) & (gxi > 1)).t();
                var (j, k, l, m) = (jk.select(0, 0), jk.select(0, 1), lm.select(0, 0), lm.select(0, 1));
                var mask = stack([ones_like(j), j, k, l, m]);
                t = t.repeat(5, 1, 1).index(mask);
                offsets = (zeros_like(gxy).unsqueeze(0) + off.unsqueeze(1)).index(mask);
            }
            else
            {
                t = T.select(0, 0);
                offsets = zeros(1);
            }
            var bc = t.slice(1, 0, 2).@long().t();
            var gxyT = t.slice(1, 2, 4);
            var gwh = t.slice(1, 4, 6);
            var a = t.select(1, 6).@long();
            var gij = (gxyT - offsets).@long();
            // clamp in place on gij itself: tbox below uses the clamped cell (a centre on the border gets offset 1.0)
            Op.Call("aten::clamp_", gij.select(1, 0), 0L, w - 1).Dispose();
            Op.Call("aten::clamp_", gij.select(1, 1), 0L, h - 1).Dispose();
            var gi = gij.select(1, 0).clone();
            var gj = gij.select(1, 1).clone();
            var tbox = cat([gxyT - gij, gwh], 1);
            var anch = anchorsI.index(a);
            result[i] = new V5LevelTargets(
                bc.select(0, 0).clone().MoveToOuterDisposeScope(), a.MoveToOuterDisposeScope(), gj.MoveToOuterDisposeScope(),
                gi.MoveToOuterDisposeScope(), tbox.MoveToOuterDisposeScope(), anch.MoveToOuterDisposeScope(),
                bc.select(0, 1).clone().MoveToOuterDisposeScope());
        }
        return result;
    }
}
