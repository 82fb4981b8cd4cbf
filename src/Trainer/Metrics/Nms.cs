using YoloSweep.Trainer.Loss;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Metrics;

/// <summary>yolov5 v7.0 non_max_suppression: per image, (n, 6) [x1, y1, x2, y2, conf, cls].</summary>
public static class Nms
{
    const double MaxWh = 7680;  // class offset: boxes of different classes never overlap

    /// <summary>prediction: (b, N, 5+nc) decoded [cx, cy, w, h, obj, cls probs…] (v5) — use
    /// <see cref="NonMaxSuppressionNoObj"/> for anchor-free (v8) outputs without objectness.</summary>
    public static Tensor[] NonMaxSuppression(Tensor prediction, double confThres = 0.25, double iouThres = 0.45,
        bool multiLabel = false, int maxDet = 300, bool agnostic = false)
    {
        var bs = prediction.size(0);
        var output = new Tensor[bs];
        for (var xi = 0; xi < bs; xi++)
        {
            using var scope = NewDisposeScope();
            var x = prediction.select(0, xi);
            x = x.index(x.select(1, 4) > confThres);
            var cls = x.slice(1, 5, null) * x.slice(1, 4, 5);  // conf = obj * cls
            output[xi] = Select(BoxOps.XywhToXyxy(x.slice(1, 0, 4)), cls, confThres, iouThres, multiLabel, maxDet, agnostic)
                .MoveToOuterDisposeScope();
        }
        return output;
    }

    /// <summary>Anchor-free outputs (b, 4+nc, N) [cx, cy, w, h, class probs] (ultralytics v8 non_max_suppression).</summary>
    public static Tensor[] NonMaxSuppressionNoObj(Tensor prediction, double confThres = 0.25, double iouThres = 0.45,
        bool multiLabel = false, int maxDet = 300, bool agnostic = false)
    {
        var bs = prediction.size(0);
        var output = new Tensor[bs];
        for (var xi = 0; xi < bs; xi++)
        {
            using var scope = NewDisposeScope();
            var x = prediction.select(0, xi).t();  // (N, 4+nc)
            var cls = x.slice(1, 4, null);
            var keep = cls.amax([1]) > confThres;
            x = x.index(keep);
            output[xi] = Select(BoxOps.XywhToXyxy(x.slice(1, 0, 4)), x.slice(1, 4, null), confThres, iouThres, multiLabel, maxDet, agnostic)
                .MoveToOuterDisposeScope();
        }
        return output;
    }

    static Tensor Select(Tensor box, Tensor cls, double confThres, double iouThres, bool multiLabel, int maxDet, bool agnostic)
    {
        Tensor x;
        if (multiLabel)
        {
            var nz = (cls > confThres).nonzero().t();
            var (i, j) = (nz.select(0, 0), nz.select(0, 1));
            x = cat([box.index(i), cls.index(i, j).unsqueeze(1), j.unsqueeze(1).@float()], 1);
        }
        else
        {
            var (conf, j) = cls.max(1, keepdim: true);
            x = cat([box, conf, j.@float()], 1).index(conf.view(-1) > confThres);
        }
        if (x.size(0) == 0) return x;
        x = x.index(x.select(1, 4).argsort(descending: true));
        var c = x.slice(1, 5, 6) * (agnostic ? 0 : MaxWh);
        var boxes = x.slice(1, 0, 4) + c;
        var keep = ops.nms(boxes, x.select(1, 4).contiguous(), iouThres);
        if (keep.size(0) > maxDet) keep = keep.slice(0, 0, maxDet);
        return x.index(keep);
    }
}
