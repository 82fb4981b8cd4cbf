using YoloSweep.Models;
using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Loss;
using YoloSweep.Trainer.Metrics;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Engine;

/// <summary>yolov5 val on a model's decoded eval outputs: NMS (conf 0.001, IoU 0.6, multi-label, max_det 300),
/// matching at IoU 0.5:0.95 and ap_per_class. Metrics are computed in the letterboxed frame, where labels and
/// predictions share one scale (IoU is scale-invariant). v10 is scored on its one-to-one branch (what it deploys)
/// with its NMS-free top-k post-processing, as the YOLOv10 validator does.</summary>
public static class Validator
{
    /// <summary>The decoded predictions of an eval-mode forward: v5 (b, N, 5+nc) [cx, cy, w, h, obj, cls…] pixels;
    /// v8/v10 (b, 4+nc, N) [cx, cy, w, h, cls…].</summary>
    public static Tensor Decoded(DetectionModel m, HeadOutput o) =>
        (m.Family == "v10" ? o.One2One?.Y : o.Y) ?? throw new InvalidOperationException("decoded outputs exist in eval mode only");

    /// <summary>Per image (n, 6) [x1, y1, x2, y2, conf, cls] from <see cref="Decoded"/> outputs of a model of
    /// <paramref name="family"/>: NMS for v5/v8, v10postprocess (top-k, no NMS) for v10.</summary>
    public static Tensor[] Postprocess(string family, Tensor decoded, double conf = 0.001, double iou = 0.6, bool multiLabel = true, int maxDet = 300) =>
        family switch
        {
            "v5" => Metrics.Nms.NonMaxSuppression(decoded, conf, iou, multiLabel, maxDet),
            "v10" => OneToOne.TopK(decoded, maxDet),
            _ => Metrics.Nms.NonMaxSuppressionNoObj(decoded, conf, iou, multiLabel, maxDet),
        };

    /// <summary>Runs the model (eval mode) over the loader and returns the metrics.</summary>
    public static DetectionSummary Run(DetectionModel m, DetectionLoader loader, Device device, CancellationToken ct = default)
    {
        var metrics = new DetectionMetrics();
        var wasTraining = m.training;
        m.eval();
        try
        {
            using var _ = no_grad();
            foreach (var batch in loader.Epoch(0, mosaic: false, ct))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                var imgs = b.Images.to(device);
                var dets = Postprocess(m.Family, Decoded(m, m.Forward(imgs)));
                var s = loader.Data.ImgSize;
                var t = b.Targets;
                for (var i = 0; i < b.Size; i++)
                {
                    var ti = t.index(t.select(1, 0).eq(i));
                    var xyxy = BoxOps.XywhToXyxy(ti.slice(1, 2, 6) * s);
                    var labels = cat([ti.slice(1, 1, 2), xyxy], 1);
                    metrics.Update(dets[i], labels);
                }
            }
        }
        finally { m.train(wasTraining); }
        return metrics.Compute((int)m.Nc);
    }
}
