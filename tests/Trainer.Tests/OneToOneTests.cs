using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Metrics;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

/// <summary>YOLOv10's NMS-free validation post-processing (v10postprocess), checked by hand on five anchors.</summary>
public class OneToOneTests
{
    // anchors as rows [cx, cy, w, h, score class 0, score class 1]; a4 duplicates a0's box (NMS would drop it)
    static readonly float[][] Anchors =
    [
        [10, 10, 4, 4, 0.90f, 0.10f],  // a0
        [20, 20, 2, 2, 0.20f, 0.80f],  // a1
        [30, 30, 6, 2, 0.05f, 0.30f],  // a2
        [40, 40, 2, 6, 0.60f, 0.70f],  // a3
        [10, 10, 4, 4, 0.85f, 0.00f],  // a4
    ];

    static Tensor Decoded() => tensor(Anchors.SelectMany(a => a).ToArray(), [1, Anchors.Length, 6]).transpose(1, 2);  // (1, 4+nc, N)

    static float[][] Rows(Tensor dets) =>
        Enumerable.Range(0, (int)dets.size(0)).Select(i => dets.select(0, i).ToArray<float>()).ToArray();

    static void Equal(float[][] expected, Tensor actual)
    {
        var rows = Rows(actual);
        Assert.Equal(expected.Length, rows.Length);
        for (var i = 0; i < rows.Length; i++)
            for (var j = 0; j < 6; j++)
                Assert.True(Math.Abs(expected[i][j] - rows[i][j]) < 1e-6, $"row {i} col {j}: expected {expected[i][j]}, got {rows[i][j]}");
    }

    [Fact]
    public void Top_k_keeps_the_best_anchors_then_the_best_anchor_class_pairs_without_nms()
    {
        using var x = Decoded();
        // max_det 3: anchors by max score a0 .90, a4 .85, a1 .80; pairs among them .90 (a0, 0), .85 (a4, 0), .80 (a1, 1).
        // a4 overlaps a0 completely and is kept (no NMS); a3 (.70) is cut by max_det.
        Equal(
        [
            [8, 8, 12, 12, 0.90f, 0],
            [8, 8, 12, 12, 0.85f, 0],
            [19, 19, 21, 21, 0.80f, 1],
        ], Validator.Postprocess("v10", x, maxDet: 3).Single());

        // max_det 300 > 5 anchors: k = 5, so all anchors qualify and the 5 best of their 10 pairs come out; a3 appears
        // twice (class 1 at .70, class 0 at .60) and a2 (.30) not at all
        Equal(
        [
            [8, 8, 12, 12, 0.90f, 0],
            [8, 8, 12, 12, 0.85f, 0],
            [19, 19, 21, 21, 0.80f, 1],
            [39, 37, 41, 43, 0.70f, 1],
            [39, 37, 41, 43, 0.60f, 0],
        ], OneToOne.TopK(x).Single());
    }

    [Fact]
    public void V8_still_uses_nms_which_drops_the_duplicate_box()
    {
        using var x = Decoded();
        var rows = Rows(Validator.Postprocess("v8", x, multiLabel: false).Single());
        // a4 (IoU 1 with a0, same class) is suppressed; the other four anchors keep their best class
        Assert.Equal([0.90f, 0.80f, 0.70f, 0.30f], rows.Select(r => r[4]));
        Assert.DoesNotContain(rows, r => Math.Abs(r[4] - 0.85f) < 1e-6);
    }

    [Fact]
    public void Top_k_works_per_image_in_a_batch()
    {
        using var a = Decoded();
        using var flipped = a.flip([2]);  // the same anchors in reverse order: same detections
        using var batch = cat([a, flipped], 0);
        var dets = OneToOne.TopK(batch, maxDet: 3);
        Assert.Equal(2, dets.Length);
        Assert.Equal(Rows(dets[0]).Select(r => r[4]), Rows(dets[1]).Select(r => r[4]));
        Assert.Equal([0f, 0f, 1f], Rows(dets[1]).Select(r => r[5]));
    }
}
