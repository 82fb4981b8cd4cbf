using Xunit.Abstractions;
using YoloSweep.Torch;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Metrics;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

/// <summary>How validation scores boxes, checked by hand: the letterbox is undone before matching (yolov5
/// scale_boxes), P and R are read at the confidence of the max smoothed mean F1 (ap_per_class), and the
/// confusion matrix counts as ultralytics' does.</summary>
public class ValidationTests(ITestOutputHelper output)
{
    static Tensor T(float[] v, long rows, long cols) => tensor(v, [rows, cols]);

    [Fact]
    public void A_val_batch_records_the_letterbox_that_maps_labels_back_to_the_original_pixels()
    {
        // a 100×50 image at imgsz 64: resized to 64×32 (gain 0.64), padded 16 px above and below
        var dir = Path.Combine(Path.GetTempPath(), "ys-letterbox-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Path.Combine(dir, "images"));
        Directory.CreateDirectory(Path.Combine(dir, "labels"));
        using (var img = full([50, 100, 3], 90, ScalarType.Byte)) image.write_png(img, Path.Combine(dir, "images", "a.png"));
        // one box at the bottom-right corner: x 80..100, y 30..50
        File.WriteAllText(Path.Combine(dir, "labels", "a.txt"), "0 0.9 0.8 0.2 0.4\n");
        using var set = YoloDataset.Open([Path.Combine(dir, "images")], 1, 64);
        var loader = new DetectionLoader(set, 1, false, new AugmentOptions(), workers: 1);
        using var b = loader.Build([0], 0, 0, mosaic: false);
        var (gain, padW, padH) = b.Letterbox[0];
        Assert.Equal(0.64, gain, 9);
        Assert.Equal(0, padW);
        Assert.Equal(16, padH);
        using var t = b.Targets;
        var xywh = t.ToArray<float>();
        var (cx, cy, w, h) = (xywh[2] * 64, xywh[3] * 64, xywh[4] * 64, xywh[5] * 64);
        using var letterboxed = T([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1, 4);
        using var native = Validator.ScaleBoxes(letterboxed, gain, padW, padH, 100, 50);
        var v = native.ToArray<float>();
        output.WriteLine($"letterboxed [{string.Join(", ", letterboxed.ToArray<float>())}] -> original [{string.Join(", ", v)}]");
        Assert.Equal([80f, 30f, 100f, 50f], v.Select(x => MathF.Round(x, 3)));
        Directory.Delete(dir, true);
    }

    [Fact]
    public void A_box_that_runs_into_the_padding_scores_after_clipping_to_the_image_as_yolov5_does()
    {
        // the label above, and a prediction that overshoots 8 px into the bottom padding of the letterbox
        var (gain, padW, padH) = (0.64, 0.0, 16.0);
        using var labelLb = T([51.2f, 35.2f, 64f, 48f], 1, 4);
        using var predLb = T([51.2f, 35.2f, 64f, 56f, 0.9f, 0f], 1, 6);
        // in the letterboxed frame: IoU = 12.8·12.8 / (12.8·20.8) = 0.615, a match at IoU 0.50, 0.55, 0.60 only
        using var labLbRow = cat([zeros([1, 1]), labelLb], 1);
        var lbMetrics = new DetectionMetrics();
        lbMetrics.Update(predLb, labLbRow);
        var inLetterbox = lbMetrics.Compute(1);
        // mapped back (and clipped to the 100×50 image) the prediction is exactly the label: IoU 1 at every threshold
        using var predNative = Validator.ScaleBoxes(predLb, gain, padW, padH, 100, 50);
        Assert.Equal([80f, 30f, 100f, 50f, 0.9f, 0f], predNative.ToArray<float>().Select(x => MathF.Round(x, 3)));
        using var labNative = cat([zeros([1, 1]), Validator.ScaleBoxes(labelLb, gain, padW, padH, 100, 50)], 1);
        var nativeMetrics = new DetectionMetrics();
        nativeMetrics.Update(predNative, labNative);
        var inOriginal = nativeMetrics.Compute(1);
        output.WriteLine($"letterboxed mAP50-95 {inLetterbox.Map50_95}, original {inOriginal.Map50_95}");
        // one true positive gives AP 0.995 (101-point interpolation ends at precision 0 for recall 1): 3 of 10 thresholds vs 10 of 10
        Assert.Equal(0.995, inLetterbox.Map50, 12);
        Assert.Equal(0.3 * 0.995, inLetterbox.Map50_95, 12);
        Assert.Equal(0.995, inOriginal.Map50_95, 12);
    }

    /// <summary>10 labels of one class and 300 boxes ranked by <paramref name="conf"/>, the 8 best of them right.</summary>
    static DetectionSummary Ranked(Func<int, double> conf)
    {
        var tp = new bool[300][];
        var c = new float[300];
        for (var i = 0; i < 300; i++)
        {
            tp[i] = Enumerable.Repeat(i < 8, 10).ToArray();
            c[i] = (float)conf(i);
        }
        return DetectionMetrics.ApPerClass(tp, c, new int[300], new int[10]);
    }

    [Fact]
    public void Precision_and_recall_are_read_at_conf_0_when_every_confidence_is_below_0_05_as_yolov5_reports_them()
    {
        // Why yolov5 shows P 0.007 with R 0.78 early in training: the mean F1 is sampled at 1000 confidences 0…1 and
        // box-filtered over 101 of them before its max is taken. With every confidence below 0.05, F1 is 0 from
        // index ~50 on, so the filtered curve falls from index 0 and P/R are those of all boxes (conf ≥ 0).
        // a nearly untrained detector: every box at conf 0.005 … 0.001
        var s = Ranked(i => 0.005 - i * 0.004 / 300);
        Assert.Equal(0, s.BestIndex);
        Assert.Equal(8 / 300.0, s.P, 9);
        Assert.Equal(0.8, s.R, 9);
        // ... while the precision envelope of the PR curve is 1 up to recall 0.8 (the 8 right boxes come first)
        Assert.Equal(1.0, s.CurvePrecision[0][Array.FindLastIndex(s.Px, x => x <= 0.79)], 9);
        Assert.True(s.Map50 > 0.79, $"AP50 {s.Map50}");
    }

    [Fact]
    public void Precision_and_recall_are_read_at_the_max_f1_confidence_when_confidences_spread()
    {
        // the same ranking, the right boxes at conf 0.9 … 0.55 and the wrong ones below 0.3: the smoothed F1 peaks on the
        // plateau between them, where all 8 right boxes and none of the wrong ones are kept
        var s = Ranked(i => i < 8 ? 0.9 - i * 0.05 : 0.3 - (i - 8) * 0.001);
        Assert.InRange(s.Px[s.BestIndex], 0.3, 0.55);
        // (np.interp draws precision linearly from 1 at the last right box to 8/9 at the first wrong one)
        Assert.InRange(s.P, 0.95, 1.0);
        Assert.Equal(0.8, s.R, 9);
    }

    [Fact]
    public void Per_class_f1_at_the_chosen_confidence_matches_yolov5_on_the_metrics_fixture()
    {
        var fx = Fixtures.Load("metrics_v5");
        var preds = fx["preds"];
        var labels = fx["labels"];
        var m = new DetectionMetrics();
        for (var im = 0; im < 50; im++)
        {
            using var pi = preds.index(preds.select(1, 0).eq(im)).slice(1, 1, null);
            using var li = labels.index(labels.select(1, 0).eq(im)).slice(1, 1, null);
            m.Update(pi, li);
        }
        var s = m.Compute(5);
        var f1 = fx["f1"].ToArray<double>();
        for (var c = 0; c < 5; c++) Assert.Equal(f1[c], s.CurveF1[c][s.BestIndex], 6);
        // the fixture's images: 50 scored, each class counted in the images that have it
        Assert.Equal(50, s.Images);
        Assert.All(s.PerClass, c => Assert.InRange(c.Images, 1, c.Labels));
        foreach (var t in fx.Values) t.Dispose();
    }

    [Fact]
    public void Confusion_matrix_counts_matches_misses_and_background_as_ultralytics()
    {
        var cm = new ConfusionMatrix(2);
        // labels: class 0 at A, class 1 at B, class 1 at C (missed)
        using var labels = T([0, 0, 0, 10, 10, 1, 20, 20, 30, 30, 1, 50, 50, 60, 60], 3, 5);
        using var preds = T([
            0, 0, 10, 10, 0.9f, 0,      // A, right class
            20, 20, 30, 30, 0.8f, 0,    // B, wrong class
            21, 21, 30, 30, 0.7f, 1,    // B again: a duplicate, background
            40, 0, 45, 5, 0.6f, 1,      // nothing there: background
            0, 0, 10, 10, 0.1f, 1,      // below conf 0.25: ignored
        ], 5, 6);
        cm.Update(preds, labels);
        long[,] expected =
        {
            { 1, 1, 0 },   // predicted 0: true 0, true 1
            { 0, 0, 2 },   // predicted 1: the duplicate and the empty box are background
            { 0, 1, 0 },   // missed: label C
        };
        Assert.Equal(expected, cm.Matrix);
        var n = cm.Normalized();
        Assert.Equal(0.5, n[0, 1], 6);
        Assert.Equal(0.5, n[2, 1], 6);
    }
}
