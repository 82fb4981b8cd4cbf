using YoloSweep.Trainer.Loss;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Metrics;

/// <summary>ultralytics ConfusionMatrix (detect): detections above conf 0.25 are matched one-to-one to labels at
/// IoU > 0.45 regardless of class; rows are predicted classes, columns true classes, and the extra last row/column is
/// "background" (a missed label counts in the last row, a detection with no label in the last column).</summary>
public sealed class ConfusionMatrix(int nc, double conf = 0.25, double iouThreshold = 0.45)
{
    public int Nc => nc;
    /// <summary>[predicted, true], (nc + 1) × (nc + 1).</summary>
    public long[,] Matrix { get; } = new long[nc + 1, nc + 1];

    /// <summary>pred (P, 6) [x1, y1, x2, y2, conf, cls]; labels (L, 5) [cls, x1, y1, x2, y2], same pixel frame.</summary>
    public void Update(Tensor pred, Tensor labels)
    {
        using var predCpu = pred.detach().cpu().@float().contiguous();
        using var labCpu = labels.detach().cpu().@float().contiguous();
        var p = predCpu.size(0) > 0 ? predCpu.ToArray<float>() : [];
        var keep = Enumerable.Range(0, (int)predCpu.size(0)).Where(i => p[i * 6 + 4] > conf).ToArray();
        var nl = (int)labCpu.size(0);
        var lab = nl > 0 ? labCpu.ToArray<float>() : [];
        var detCls = keep.Select(i => (int)p[i * 6 + 5]).ToArray();
        var gtCls = Enumerable.Range(0, nl).Select(i => (int)lab[i * 5]).ToArray();
        if (nl == 0)
        {
            foreach (var dc in detCls) Matrix[dc, nc]++;  // false positives
            return;
        }
        if (keep.Length == 0)
        {
            foreach (var gc in gtCls) Matrix[nc, gc]++;  // background: missed labels
            return;
        }
        float[] iou;
        using (var kept = predCpu.index_select(0, tensor(keep.Select(k => (long)k).ToArray())))
        using (var db = kept.slice(1, 0, 4))
        using (var lb = labCpu.slice(1, 1, 5))
        using (var t = BoxOps.BoxIou(lb, db))
            iou = t.contiguous().ToArray<float>();  // (L, D)
        var nd = keep.Length;
        var matches = new List<(int l, int d, float iou)>();
        for (var l = 0; l < nl; l++)
            for (var d = 0; d < nd; d++)
                if (iou[l * nd + d] > iouThreshold) matches.Add((l, d, iou[l * nd + d]));
        if (matches.Count > 1)
        {
            // as ultralytics: highest IoU first, then one match per detection and one per label (np.unique keeps the first)
            var order = Enumerable.Range(0, matches.Count).OrderBy(k => matches[k].iou).ThenBy(k => k).Reverse().Select(k => matches[k]).ToList();
            var byDet = order.GroupBy(m => m.d).Select(g => g.First()).OrderBy(m => m.d).ToList();
            var sorted = byDet.Select((m, k) => (m, k)).OrderBy(e => e.m.iou).ThenBy(e => e.k).Reverse().Select(e => e.m).ToList();
            matches = sorted.GroupBy(m => m.l).Select(g => g.First()).OrderBy(m => m.l).ToList();
        }
        for (var l = 0; l < nl; l++)
        {
            var j = matches.Where(m => m.l == l).ToList();
            if (j.Count == 1) Matrix[detCls[j[0].d], gtCls[l]]++;  // matched (right or wrong class)
            else Matrix[nc, gtCls[l]]++;                           // missed
        }
        for (var d = 0; d < nd; d++)
            if (!matches.Any(m => m.d == d)) Matrix[detCls[d], nc]++;  // detection without a label
    }

    /// <summary>Column-normalised (each true class sums to 1), as the normalised plot shows.</summary>
    public double[,] Normalized()
    {
        var n = nc + 1;
        var r = new double[n, n];
        for (var c = 0; c < n; c++)
        {
            double sum = 0;
            for (var p = 0; p < n; p++) sum += Matrix[p, c];
            for (var p = 0; p < n; p++) r[p, c] = Matrix[p, c] / (sum + 1e-9);
        }
        return r;
    }
}
