using YoloSweep.Torch;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Loss;
using YoloSweep.Trainer.Metrics;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Trainer.Engine;

/// <summary>Decodes raw head outputs to boxes and runs yolov5 val: NMS (conf 0.001, IoU 0.6, multi-label,
/// max_det 300), matching at IoU 0.5:0.95 and ap_per_class. Metrics are computed in the letterboxed frame, where
/// labels and predictions share one scale (IoU is scale-invariant).</summary>
public static class Validator
{
    /// <summary>v5: (b, N, 5+nc) [cx, cy, w, h, obj, cls…] pixels. v8/v10: (b, 4+nc, N) [cx, cy, w, h, cls…].</summary>
    public static Tensor Decode(IDetectionModel m, Tensor[] raw)
    {
        using var scope = NewDisposeScope();
        Tensor result;
        if (m.Head == HeadKind.V5Anchors)
        {
            var outs = new List<Tensor>();
            for (var i = 0; i < raw.Length; i++)
            {
                var (b, na, h, w, no) = (raw[i].size(0), raw[i].size(1), raw[i].size(2), raw[i].size(3), raw[i].size(4));
                var dev = raw[i].device;
                var s = m.Strides[i];
                var g = meshgrid([arange(h, ScalarType.Float32, dev), arange(w, ScalarType.Float32, dev)], "ij");
                var grid = stack([g[1], g[0]], -1).view(1, 1, h, w, 2) - 0.5;
                var anchor = tensor(m.AnchorsGrid![i].SelectMany(a => a).ToArray(), [1, na, 1, 1, 2], dev) * s;
                var y = raw[i].sigmoid();
                var parts = y.split([2L, 2, no - 4], 4);
                var xy = (parts[0] * 2 + grid) * s;
                var wh = (parts[1] * 2).pow(2) * anchor;
                outs.Add(cat([xy, wh, parts[2]], 4).view(b, -1, no));
            }
            result = cat(outs.ToArray(), 1);
        }
        else
        {
            var levels = m.Head == HeadKind.V10Dual ? raw[(raw.Length / 2)..] : raw;
            var bs = levels[0].size(0);
            var no = levels[0].size(1);
            var x = cat(levels.Select(l => l.view(bs, no, -1)).ToArray(), 2);
            var parts = x.split([4L * m.RegMax, no - 4 * m.RegMax], 1);
            var (points, strides) = V8Loss.MakeAnchors(levels, m.Strides);
            var proj = arange(m.RegMax, ScalarType.Float32, x.device);
            var a = parts[0].size(2);
            var dist = F.softmax(parts[0].view(bs, 4, m.RegMax, a), 2).permute(0, 1, 3, 2).matmul(proj);  // (b, 4, a)
            var boxes = V8Loss.Dist2Bbox(dist.permute(0, 2, 1), points.unsqueeze(0), xywh: true) * strides.unsqueeze(0);
            result = cat([boxes.permute(0, 2, 1), parts[1].sigmoid()], 1);
        }
        return result.MoveToOuterDisposeScope();
    }

    public static Tensor[] Nms(IDetectionModel m, Tensor decoded, double conf = 0.001, double iou = 0.6, bool multiLabel = true) =>
        m.Head == HeadKind.V5Anchors
            ? Metrics.Nms.NonMaxSuppression(decoded, conf, iou, multiLabel, 300)
            : Metrics.Nms.NonMaxSuppressionNoObj(decoded, conf, iou, multiLabel, 300);

    /// <summary>Runs the model (eval mode) over the loader and returns the metrics; optionally the mean val losses.</summary>
    public static DetectionSummary Run(IDetectionModel m, DetectionLoader loader, Device device, CancellationToken ct = default)
    {
        var metrics = new DetectionMetrics();
        var wasTraining = m.Module.training;
        m.Module.eval();
        try
        {
            using var _ = no_grad();
            foreach (var batch in loader.Epoch(0, mosaic: false, ct))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                var imgs = b.Images.to(device);
                var raw = m.Forward(imgs);
                var dets = Nms(m, Decode(m, raw));
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
        finally { m.Module.train(wasTraining); }
        return metrics.Compute(m.Nc);
    }
}
