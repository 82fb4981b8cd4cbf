using YoloSweep.Trainer.Loss;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Metrics;

/// <summary>Per-class and overall results as yolov5 val.py / ultralytics print them: Labels is the number of
/// instances, Images the number of images with at least one instance of the class.</summary>
public sealed record ClassMetrics(int Class, int Labels, double P, double R, double AP50, double AP50_95, int Images = 0);

/// <summary>What ap_per_class returns, with its curves: Px is the 1000-point grid (np.linspace(0, 1, 1000)) used as
/// the confidence axis of the P, R and F1 curves and as the recall axis of the PR curve (CurvePrecision, the
/// precision envelope at IoU 0.5). Every curve array has one row per class of <see cref="PerClass"/>.</summary>
public sealed record DetectionSummary(double P, double R, double Map50, double Map50_95, IReadOnlyList<ClassMetrics> PerClass,
    double[] CurveRecall, double[][] CurvePrecision)
{
    /// <summary>yolov5/ultralytics fitness: 0.1·mAP50 + 0.9·mAP50-95.</summary>
    public double Fitness => 0.1 * Map50 + 0.9 * Map50_95;
    public double[] Px => CurveRecall;
    public double[][] CurveP { get; init; } = [];
    public double[][] CurveR { get; init; } = [];
    public double[][] CurveF1 { get; init; } = [];
    /// <summary>Index into <see cref="Px"/> of the confidence where P and R are read: the max of the smoothed mean F1.</summary>
    public int BestIndex { get; init; }
    /// <summary>Images scored (all of them, with or without labels).</summary>
    public int Images { get; init; }
    public static DetectionSummary Empty => new(0, 0, 0, 0, [], [], []);
}

/// <summary>Accumulates, image by image, the matches of val.py (process_batch at IoU 0.5:0.95) and computes
/// ap_per_class (101-point interpolated AP, P/R at the max of the smoothed mean F1) as yolov5 v7.0.</summary>
public sealed class DetectionMetrics
{
    public static readonly float[] Iouv = Enumerable.Range(0, 10).Select(i => (float)(0.5 + 0.05 * i)).ToArray();
    readonly List<bool[]> _correct = [];
    readonly List<float> _conf = [];
    readonly List<int> _predCls = [];
    readonly List<int> _targetCls = [];
    readonly Dictionary<int, int> _imagesPerClass = [];

    public int Images { get; private set; }

    /// <summary>pred (P, 6) [x1, y1, x2, y2, conf, cls]; labels (L, 5) [cls, x1, y1, x2, y2], same pixel frame.</summary>
    public void Update(Tensor pred, Tensor labels)
    {
        Images++;
        using var predCpu = pred.detach().cpu().@float().contiguous();
        using var labCpu = labels.detach().cpu().@float().contiguous();
        var np = (int)predCpu.size(0);
        var nl = (int)labCpu.size(0);
        var lab = nl > 0 ? labCpu.ToArray<float>() : [];
        for (var i = 0; i < nl; i++) _targetCls.Add((int)lab[i * 5]);
        foreach (var c in Enumerable.Range(0, nl).Select(i => (int)lab[i * 5]).Distinct())
            _imagesPerClass[c] = _imagesPerClass.GetValueOrDefault(c) + 1;
        if (np == 0) return;
        var p = predCpu.ToArray<float>();
        var correct = ProcessBatch(predCpu, labCpu);
        for (var i = 0; i < np; i++)
        {
            _correct.Add(correct[i]);
            _conf.Add(p[i * 6 + 4]);
            _predCls.Add((int)p[i * 6 + 5]);
        }
    }

    /// <summary>val.py process_batch: for each IoU threshold, greedy one-to-one matching by IoU (then by detection
    /// index for labels, as np.unique keeps the first occurrence in detection order).</summary>
    public static bool[][] ProcessBatch(Tensor detections, Tensor labels)
    {
        var np = (int)detections.size(0);
        var nl = (int)labels.size(0);
        var correct = new bool[np][];
        for (var i = 0; i < np; i++) correct[i] = new bool[Iouv.Length];
        if (np == 0 || nl == 0) return correct;
        float[] iou;
        using (var lb = labels.slice(1, 1, 5))
        using (var db = detections.slice(1, 0, 4))
        using (var t = BoxOps.BoxIou(lb, db))
            iou = t.contiguous().ToArray<float>();  // (L, P) float32, as yolov5
        var det = detections.ToArray<float>();
        var lab = labels.ToArray<float>();
        for (var ti = 0; ti < Iouv.Length; ti++)
        {
            var thr = Iouv[ti];
            var matches = new List<(int label, int det, float iou)>();
            for (var l = 0; l < nl; l++)  // torch.where order: label-major
                for (var d = 0; d < np; d++)
                    if (iou[l * np + d] >= thr && lab[l * 5] == det[d * 6 + 5]) matches.Add((l, d, iou[l * np + d]));
            if (matches.Count == 0) continue;
            if (matches.Count > 1)
            {
                // argsort()[::-1]: descending IoU, ties in reverse order of appearance
                var order = Enumerable.Range(0, matches.Count).OrderBy(k => matches[k].iou).ThenBy(k => k).Reverse().ToList();
                var sorted = order.Select(k => matches[k]).ToList();
                var byDet = sorted.Select((m, k) => (m, k)).GroupBy(e => e.m.det).Select(g => g.First()).OrderBy(e => e.m.det).Select(e => e.m).ToList();
                matches = byDet.Select((m, k) => (m, k)).GroupBy(e => e.m.label).Select(g => g.First()).OrderBy(e => e.m.label).Select(e => e.m).ToList();
            }
            foreach (var m in matches) correct[m.det][ti] = true;
        }
        return correct;
    }

    public DetectionSummary Compute(int nc)
    {
        var s = ApPerClass(_correct.ToArray(), _conf.ToArray(), _predCls.ToArray(), _targetCls.ToArray());
        return s with { Images = Images, PerClass = s.PerClass.Select(c => c with { Images = _imagesPerClass.GetValueOrDefault(c.Class) }).ToList() };
    }

    /// <summary>yolov5 v7.0 utils.metrics.ap_per_class.</summary>
    public static DetectionSummary ApPerClass(bool[][] tp, float[] conf, int[] predCls, int[] targetCls)
    {
        const double eps = 1e-16;
        var nt = tp.Length == 0 ? 0 : tp[0].Length;
        var ntIou = Iouv.Length;
        var order = Enumerable.Range(0, conf.Length).OrderBy(i => -conf[i]).ToArray();
        var classes = targetCls.Distinct().OrderBy(c => c).ToArray();
        var counts = classes.Select(c => targetCls.Count(t => t == c)).ToArray();
        var nc = classes.Length;
        var px = Enumerable.Range(0, 1000).Select(i => i == 999 ? 1.0 : i * (1.0 / 999)).ToArray();  // np.linspace(0, 1, 1000)
        var ap = new double[nc, ntIou];
        var p = new double[nc][];
        var r = new double[nc][];
        var py = new double[nc][];
        var x101 = Enumerable.Range(0, 101).Select(i => i == 100 ? 1.0 : i * 0.01).ToArray();
        for (var ci = 0; ci < nc; ci++)
        {
            p[ci] = new double[1000];
            r[ci] = new double[1000];
            py[ci] = new double[1000];
            var idx = order.Where(i => predCls[i] == classes[ci]).ToArray();
            var nl = counts[ci];
            if (idx.Length == 0 || nl == 0) continue;
            var negConf = idx.Select(i => -(double)conf[i]).ToArray();
            var recall = new double[ntIou][];
            var precision = new double[ntIou][];
            for (var j = 0; j < ntIou; j++)
            {
                recall[j] = new double[idx.Length];
                precision[j] = new double[idx.Length];
                long tpc = 0, fpc = 0;
                for (var k = 0; k < idx.Length; k++)
                {
                    if (tp[idx[k]][j]) tpc++; else fpc++;
                    recall[j][k] = tpc / (nl + eps);
                    precision[j][k] = tpc / (double)(tpc + fpc);
                }
            }
            var negPx = px.Select(v => -v).ToArray();
            r[ci] = Interp(negPx, negConf, recall[0], left: 0);
            p[ci] = Interp(negPx, negConf, precision[0], left: 1);
            for (var j = 0; j < ntIou; j++)
            {
                var (a, mpre, mrec) = ComputeAp(recall[j], precision[j], x101);
                ap[ci, j] = a;
                if (j == 0) py[ci] = Interp(px, mrec, mpre);
            }
        }
        var f1 = new double[nc][];
        var f1Mean = new double[1000];
        for (var ci = 0; ci < nc; ci++)
        {
            f1[ci] = new double[1000];
            for (var k = 0; k < 1000; k++) f1[ci][k] = 2 * p[ci][k] * r[ci][k] / (p[ci][k] + r[ci][k] + eps);
        }
        for (var k = 0; k < 1000; k++)
        {
            double s = 0;
            for (var ci = 0; ci < nc; ci++) s += f1[ci][k];
            f1Mean[k] = nc == 0 ? 0 : s / nc;
        }
        var best = ArgMax(Smooth(f1Mean, 0.1));
        var per = new List<ClassMetrics>();
        for (var ci = 0; ci < nc; ci++)
        {
            double ap50 = ap[ci, 0], apm = 0;
            for (var j = 0; j < ntIou; j++) apm += ap[ci, j];
            per.Add(new ClassMetrics(classes[ci], counts[ci], p[ci][best], r[ci][best], ap50, apm / ntIou));
        }
        if (nc == 0) return DetectionSummary.Empty;
        return new DetectionSummary(per.Average(c => c.P), per.Average(c => c.R), per.Average(c => c.AP50), per.Average(c => c.AP50_95),
            per, px, py) { CurveP = p, CurveR = r, CurveF1 = f1, BestIndex = best };
    }

    static (double ap, double[] mpre, double[] mrec) ComputeAp(double[] recall, double[] precision, double[] x101)
    {
        var n = recall.Length + 2;
        var mrec = new double[n];
        var mpre = new double[n];
        mrec[0] = 0; mrec[n - 1] = 1;
        mpre[0] = 1; mpre[n - 1] = 0;
        Array.Copy(recall, 0, mrec, 1, recall.Length);
        Array.Copy(precision, 0, mpre, 1, precision.Length);
        for (var i = n - 2; i >= 0; i--) mpre[i] = Math.Max(mpre[i], mpre[i + 1]);  // precision envelope
        var y = Interp(x101, mrec, mpre);
        double ap = 0;
        for (var i = 1; i < y.Length; i++) ap += (x101[i] - x101[i - 1]) * (y[i] + y[i - 1]) / 2.0;
        return (ap, mpre, mrec);
    }

    /// <summary>numpy.interp: xp ascending (duplicates allowed: the last xp[j] ≤ x is used).</summary>
    public static double[] Interp(double[] x, double[] xp, double[] fp, double? left = null, double? right = null)
    {
        var res = new double[x.Length];
        var n = xp.Length;
        var l = left ?? fp[0];
        var rgt = right ?? fp[n - 1];
        for (var i = 0; i < x.Length; i++)
        {
            var v = x[i];
            if (double.IsNaN(v)) { res[i] = v; continue; }
            if (v > xp[n - 1]) { res[i] = rgt; continue; }
            if (v < xp[0]) { res[i] = l; continue; }
            if (v == xp[n - 1]) { res[i] = fp[n - 1]; continue; }
            int lo = 0, hi = n;  // last j with xp[j] <= v
            while (lo < hi) { var mid = (lo + hi) >> 1; if (v >= xp[mid]) lo = mid + 1; else hi = mid; }
            var j = lo - 1;
            if (j >= n - 1) { res[i] = fp[n - 1]; continue; }
            if (xp[j] == v) { res[i] = fp[j]; continue; }
            var slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
            var y = slope * (v - xp[j]) + fp[j];
            if (double.IsNaN(y))
            {
                y = slope * (v - xp[j + 1]) + fp[j + 1];
                if (double.IsNaN(y) && fp[j] == fp[j + 1]) y = fp[j];
            }
            res[i] = y;
        }
        return res;
    }

    /// <summary>yolov5 smooth: box filter of fraction f, padded with the end values.</summary>
    public static double[] Smooth(double[] y, double f)
    {
        var nf = (int)Math.Round(y.Length * f * 2, MidpointRounding.ToEven) / 2 + 1;
        var pad = nf / 2;
        var yp = new double[y.Length + 2 * pad];
        for (var i = 0; i < yp.Length; i++) yp[i] = i < pad ? y[0] : i >= pad + y.Length ? y[^1] : y[i - pad];
        var outLen = yp.Length - nf + 1;
        var res = new double[outLen];
        var w = 1.0 / nf;
        for (var i = 0; i < outLen; i++)
        {
            double s = 0;
            for (var k = 0; k < nf; k++) s += yp[i + k] * w;
            res[i] = s;
        }
        return res;
    }

    public static int ArgMax(double[] a)
    {
        var best = 0;
        for (var i = 1; i < a.Length; i++) if (a[i] > a[best]) best = i;
        return best;
    }
}
