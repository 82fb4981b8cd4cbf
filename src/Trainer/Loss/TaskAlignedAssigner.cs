using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Loss;

/// <summary>Assignment of anchor points to ground truths: target boxes (xyxy), soft class scores and the foreground mask.</summary>
public sealed record Assignment(Tensor TargetLabels, Tensor TargetBoxes, Tensor TargetScores, Tensor FgMask, Tensor TargetGtIdx);

/// <summary>ultralytics TaskAlignedAssigner: align metric s^α·IoU^β over anchors inside a box, top-k per box,
/// one box per anchor (highest IoU), scores normalised by the best IoU of each box.</summary>
public sealed class TaskAlignedAssigner(int topk = 10, int numClasses = 80, double alpha = 0.5, double beta = 6.0, double eps = 1e-9)
{
    public int TopK => topk;

    /// <summary>pdScores (b, a, nc) sigmoid scores; pdBboxes (b, a, 4) xyxy pixels; ancPoints (a, 2) pixels;
    /// gtLabels (b, m, 1); gtBboxes (b, m, 4) xyxy; maskGt (b, m, 1).</summary>
    public Assignment Assign(Tensor pdScores, Tensor pdBboxes, Tensor ancPoints, Tensor gtLabels, Tensor gtBboxes, Tensor maskGt)
    {
        using var _ = no_grad();
        var bs = pdScores.size(0);
        var nMax = gtBboxes.size(1);
        if (nMax == 0)
            return new Assignment(full_like(pdScores.select(-1, 0), numClasses), zeros_like(pdBboxes), zeros_like(pdScores),
                zeros_like(pdScores.select(-1, 0)).@bool(), zeros_like(pdScores.select(-1, 0)).@long());
        var maskInGts = SelectCandidatesInGts(ancPoints, gtBboxes);
        var (alignMetric, overlaps) = BoxMetrics(pdScores, pdBboxes, gtLabels, gtBboxes, maskInGts * maskGt, bs, nMax);
        var maskTopk = SelectTopk(alignMetric, maskGt.expand(-1, -1, topk).@bool());
        var maskPos = maskTopk * maskInGts * maskGt;
        var (targetGtIdx, fgMask, maskPos2) = SelectHighestOverlaps(maskPos, overlaps, nMax);
        var (targetLabels, targetBboxes, targetScores) = Targets(gtLabels, gtBboxes, targetGtIdx, fgMask, bs, nMax);
        alignMetric = alignMetric * maskPos2;
        var posAlign = alignMetric.amax([-1], keepdim: true);
        var posOverlaps = (overlaps * maskPos2).amax([-1], keepdim: true);
        var norm = (alignMetric * posOverlaps / (posAlign + eps)).amax([-2]).unsqueeze(-1);
        targetScores = targetScores * norm;
        return new Assignment(targetLabels, targetBboxes, targetScores, fgMask.gt(0), targetGtIdx);
    }

    public static Tensor SelectCandidatesInGts(Tensor xyCenters, Tensor gtBboxes, double eps = 1e-9)
    {
        var nA = xyCenters.size(0);
        var (bs, nBoxes) = (gtBboxes.size(0), gtBboxes.size(1));
        var lr = gtBboxes.view(-1, 1, 4).chunk(2, 2);
        var deltas = cat([xyCenters.unsqueeze(0) - lr[0], lr[1] - xyCenters.unsqueeze(0)], 2).view(bs, nBoxes, nA, -1);
        return deltas.amin([3]).gt(eps).to(gtBboxes.dtype);
    }

    (Tensor align, Tensor overlaps) BoxMetrics(Tensor pdScores, Tensor pdBboxes, Tensor gtLabels, Tensor gtBboxes, Tensor maskGtF, long bs, long nMax)
    {
        var na = pdBboxes.size(-2);
        var maskGt = maskGtF.@bool();
        var overlaps = zeros([bs, nMax, na], pdBboxes.dtype, pdBboxes.device);
        var bboxScores = zeros([bs, nMax, na], pdScores.dtype, pdScores.device);
        var ind0 = arange(bs, device: pdScores.device).view(-1, 1).expand(-1, nMax);
        var ind1 = gtLabels.squeeze(-1).@long();
        // pd_scores[ind0, :, ind1] -> (b, m, a): class score of each gt's class at every anchor
        var scoresT = pdScores.permute(0, 2, 1);  // (b, nc, a)
        var gathered = scoresT.index(ind0, ind1);  // (b, m, a)
        bboxScores.index_put_([maskGt], gathered.index(maskGt));
        var pdBoxes = pdBboxes.unsqueeze(1).expand(-1, nMax, -1, -1).index(maskGt);
        var gtBoxes = gtBboxes.unsqueeze(2).expand(-1, -1, na, -1).index(maskGt);
        overlaps.index_put_([maskGt], BoxOps.BboxIou(gtBoxes, pdBoxes, xywh: false, ciou: true, form: BoxOps.IouForm.Ultralytics).squeeze(-1).clamp(0));
        var align = bboxScores.pow(alpha) * overlaps.pow(beta);
        return (align, overlaps);
    }

    Tensor SelectTopk(Tensor metrics, Tensor topkMask)
    {
        var (_, idxs) = metrics.topk(topk, -1, largest: true);
        idxs.masked_fill_(topkMask.logical_not(), 0);
        var count = zeros(metrics.shape, ScalarType.Int8, metrics.device);
        var one = ones_like(idxs.slice(2, 0, 1)).to(ScalarType.Int8);
        for (var k = 0; k < topk; k++) count.scatter_add_(-1, idxs.slice(2, k, k + 1), one);
        count.masked_fill_(count.gt(1), 0);  // masked-out boxes put all k on anchor 0: drop it
        return count.to(metrics.dtype);
    }

    static (Tensor idx, Tensor fg, Tensor maskPos) SelectHighestOverlaps(Tensor maskPos, Tensor overlaps, long nMax)
    {
        var fg = maskPos.sum([-2]);
        if (fg.max().item<float>() > 1)
        {
            var multi = fg.unsqueeze(1).gt(1).expand(-1, nMax, -1);
            var maxIdx = overlaps.argmax(1);
            var isMax = zeros_like(maskPos);
            isMax.scatter_(1, maxIdx.unsqueeze(1), 1.0);
            maskPos = where(multi, isMax, maskPos).@float();
            fg = maskPos.sum([-2]);
        }
        return (maskPos.argmax(-2), fg, maskPos);
    }

    (Tensor labels, Tensor boxes, Tensor scores) Targets(Tensor gtLabels, Tensor gtBboxes, Tensor targetGtIdx, Tensor fgMask, long bs, long nMax)
    {
        var batchInd = arange(bs, device: gtLabels.device).unsqueeze(-1);
        var idx = targetGtIdx.AddInt(batchInd.MulInt(nMax));
        var labels = gtLabels.@long().flatten().index(idx);
        var boxes = gtBboxes.view(-1, gtBboxes.size(-1)).index(idx);
        Op.Call("aten::clamp_min_", labels, 0L).Dispose();
        var scores = zeros([labels.size(0), labels.size(1), numClasses], ScalarType.Int64, labels.device);
        scores.scatter_(2, labels.unsqueeze(-1), 1.0);
        var fgScores = fgMask.unsqueeze(-1).repeat(1, 1, numClasses);
        scores = where(fgScores.gt(0), scores, 0.0);
        return (labels, boxes, scores);
    }
}
