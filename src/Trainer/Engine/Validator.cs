using System.Diagnostics;
using YoloSweep.Models;
using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Loss;
using YoloSweep.Trainer.Metrics;
using YoloSweep.Trainer.Reports;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Engine;

/// <summary>How to validate. Plots (confusion matrix, curves, val_batch*_labels/pred.jpg) are written when
/// <see cref="PlotDir"/> is set; validation losses are computed when <see cref="Loss"/> is set.</summary>
public sealed record ValOptions
{
    public double Conf { get; init; } = 0.001;
    public double Iou { get; init; } = 0.6;
    public int MaxDet { get; init; } = 300;
    public string? PlotDir { get; init; }
    public IReadOnlyList<string> Names { get; init; } = [];
    public Func<HeadOutput, Tensor, (Tensor loss, Tensor items)>? Loss { get; init; }
    public string[] LossNames { get; init; } = [];
    /// <summary>(batches done, batches in all) after every batch.</summary>
    public Action<int, int>? OnBatch { get; init; }
    /// <summary>Where a plot that could not be drawn is reported.</summary>
    public Serilog.ILogger? Log { get; init; }
}

/// <summary>One validation pass: the metrics, the mean validation losses (train-time loss on val batches, as
/// ultralytics reports val/box_loss …), the confusion matrix and the time per image.</summary>
public sealed record ValResult(DetectionSummary Summary, IReadOnlyDictionary<string, double> Losses, ConfusionMatrix Confusion,
    double InferenceMsPerImage, double PostprocessMsPerImage);

/// <summary>yolov5 val on a model's decoded eval outputs: NMS (conf 0.001, IoU 0.6, multi-label, max_det 300),
/// boxes mapped back to each image's original pixels (scale_boxes: remove the letterbox padding, divide by the
/// resize gain, clip to the image) for predictions and labels alike, then matching at IoU 0.5:0.95 and
/// ap_per_class. v10 is scored on its one-to-one branch (what it deploys) with its NMS-free top-k post-processing,
/// as the YOLOv10 validator does.</summary>
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

    /// <summary>The detections (n, 6) above a confidence (the v10 predictor's filter after its top-k).</summary>
    public static Tensor FilterConf(Tensor d, double conf)
    {
        if (conf <= 0) return d;
        using var keep = d.select(1, 4).gt(conf);
        var r = d.index(keep);
        d.Dispose();
        return r;
    }

    /// <summary>yolov5 scale_boxes: xyxy boxes (n, ≥4) in the letterboxed frame → the original image of w0 × h0,
    /// for a letterbox of resize gain <paramref name="gain"/> and padding (padW, padH); clipped to the image.</summary>
    public static Tensor ScaleBoxes(Tensor boxes, double gain, double padW, double padH, int w0, int h0)
    {
        using var scope = NewDisposeScope();
        var xy = boxes.slice(1, 0, 4);
        var shift = tensor(new float[] { (float)padW, (float)padH, (float)padW, (float)padH }).to(boxes.device);
        var lo = zeros([4], device: boxes.device);
        var hi = tensor(new float[] { w0, h0, w0, h0 }).to(boxes.device);
        var mapped = ((xy - shift) / gain).clamp(lo, hi);
        var r = boxes.size(1) > 4 ? cat([mapped, boxes.slice(1, 4, null)], 1) : mapped;
        return r.MoveToOuterDisposeScope();
    }

    /// <summary>Runs the model (eval mode) over the loader and returns the metrics.</summary>
    public static DetectionSummary Run(DetectionModel m, DetectionLoader loader, Device device, CancellationToken ct = default) =>
        Evaluate(m, loader, device, new ValOptions(), ct).Summary;

    /// <summary>Runs the model (eval mode) over the loader: metrics, losses, confusion matrix, plots.</summary>
    public static ValResult Evaluate(DetectionModel m, DetectionLoader loader, Device device, ValOptions o, CancellationToken ct = default)
    {
        var metrics = new DetectionMetrics();
        var nc = (int)m.Nc;
        var confusion = new ConfusionMatrix(nc);
        var lossSums = new double[o.LossNames.Length];
        var batches = 0;
        var (inferMs, postMs) = (0.0, 0.0);
        var wasTraining = m.training;
        m.eval();
        try
        {
            using var _ = no_grad();
            var nb = loader.BatchesPerEpoch;
            foreach (var batch in loader.Epoch(0, mosaic: false, ct))
            {
                using var b = batch;
                using var scope = NewDisposeScope();
                var imgs = b.Images.to(device);
                var sw = Stopwatch.StartNew();
                var outs = m.Forward(imgs);
                var decoded = Decoded(m, outs);
                if (device.type == DeviceType.CUDA) cuda.synchronize(device.index);
                inferMs += sw.Elapsed.TotalMilliseconds;
                if (o.Loss is { } lossFn)
                {
                    var (_, items) = lossFn(outs, b.Targets.to(device));
                    var v = items.cpu().ToArray<float>();
                    for (var k = 0; k < lossSums.Length && k < v.Length; k++) lossSums[k] += v[k];
                }
                sw.Restart();
                var dets = Postprocess(m.Family, decoded, o.Conf, o.Iou, true, o.MaxDet);
                postMs += sw.Elapsed.TotalMilliseconds;
                var s = loader.Data.ImgSize;
                var t = b.Targets;
                var native = new Tensor[b.Size];
                var nativeLabels = new Tensor[b.Size];
                for (var i = 0; i < b.Size; i++)
                {
                    var ti = t.index(t.select(1, 0).eq(i));
                    var xyxy = BoxOps.XywhToXyxy(ti.slice(1, 2, 6) * s);
                    var (h0, w0) = loader.Data.Shape(b.Indices[i]);
                    var (gain, padW, padH) = b.Letterbox[i];
                    var pred = dets[i].cpu();
                    native[i] = ScaleBoxes(pred, gain, padW, padH, w0, h0);
                    nativeLabels[i] = cat([ti.slice(1, 1, 2), ScaleBoxes(xyxy, gain, padW, padH, w0, h0)], 1);
                    metrics.Update(native[i], nativeLabels[i]);
                    confusion.Update(native[i], nativeLabels[i]);
                }
                if (o.PlotDir is { } dir && batches < 3)
                {
                    // drawn in the letterboxed frame the model saw, as ultralytics' val_batch*.jpg
                    var names = o.Names.Count > 0 ? o.Names : Enumerable.Range(0, nc).Select(c => c.ToString()).ToList();
                    var k = batches;
                    RunPlots.Try($"val_batch{k}_labels.jpg", () => BatchImages.Save(b.Images, BatchImages.FromTargets(t, s, b.Size), names, Path.Combine(dir, $"val_batch{k}_labels.jpg")), o.Log);
                    RunPlots.Try($"val_batch{k}_pred.jpg", () => BatchImages.Save(b.Images, dets.Select(d => BatchImages.FromDetections(d, 0.25)).ToList(), names, Path.Combine(dir, $"val_batch{k}_pred.jpg")), o.Log);
                }
                batches++;
                o.OnBatch?.Invoke(batches, nb);
            }
        }
        finally { m.train(wasTraining); }
        var summary = metrics.Compute(nc);
        var losses = o.LossNames.Select((n, k) => (n, lossSums[k] / Math.Max(1, batches))).ToDictionary(x => x.n, x => x.Item2);
        var images = Math.Max(1, metrics.Images);
        if (o.PlotDir is { } plotDir)
        {
            var names = o.Names.Count > 0 ? o.Names : Enumerable.Range(0, nc).Select(c => c.ToString()).ToList();
            RunPlots.Try("curves", () => RunPlots.Curves(summary, names, plotDir), o.Log);
            RunPlots.Try("confusion matrix", () => RunPlots.Confusion(confusion, names, plotDir), o.Log);
        }
        return new ValResult(summary, losses, confusion, inferMs / images, postMs / images);
    }
}
