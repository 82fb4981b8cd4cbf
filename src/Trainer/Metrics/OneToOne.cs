using YoloSweep.Torch;
using YoloSweep.Trainer.Loss;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Metrics;

/// <summary>YOLOv10's NMS-free post-processing (THU-MIG ops.v10postprocess, used by its validator on the one-to-one
/// branch): keep the k anchors with the highest class score, then the k best (anchor, class) pairs among them,
/// k = max_det. No NMS and no confidence threshold: the one-to-one head is trained to give one box per object.</summary>
public static class OneToOne
{
    /// <summary>prediction: (b, 4+nc, N) decoded [cx, cy, w, h, class scores…]; per image (k, 6)
    /// [x1, y1, x2, y2, score, cls] sorted by score, k = min(maxDet, N) (v10postprocess's topk needs N ≥ max_det;
    /// small validation images have fewer anchors, so k is clamped).</summary>
    public static Tensor[] TopK(Tensor prediction, int maxDet = 300)
    {
        using var scope = NewDisposeScope();
        var preds = prediction.transpose(1, 2);  // (b, N, 4+nc)
        var (b, n, nc) = (preds.size(0), preds.size(1), preds.size(2) - 4);
        var k = Math.Min(maxDet, n);
        var boxes = preds.slice(2, 0, 4);
        var scores = preds.slice(2, 4, null);
        var anchor = scores.amax([2]).topk(k, 1).indexes.unsqueeze(-1);  // (b, k, 1)
        boxes = boxes.gather(1, anchor.expand(b, k, 4));
        scores = scores.gather(1, anchor.expand(b, k, nc));
        var (best, flat) = scores.flatten(1).topk(k, 1);  // over the k × nc (anchor, class) pairs
        var labels = flat.remainder(nc);
        var row = flat.div(scalar_tensor(nc, ScalarType.Int64, flat.device), "floor");
        boxes = boxes.gather(1, row.unsqueeze(-1).expand(b, k, 4));
        var dets = cat([BoxOps.XywhToXyxy(boxes), best.unsqueeze(-1), labels.unsqueeze(-1).to(best.dtype)], -1);
        return Enumerable.Range(0, (int)b).Select(i => dets.select(0, i).contiguous().MoveToOuterDisposeScope()).ToArray();
    }
}
