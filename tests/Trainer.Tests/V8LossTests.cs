using YoloSweep.Torch;
using YoloSweep.Trainer.Loss;
using YoloSweep.Trainer.Optim;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

/// <summary>Invariants of the ultralytics loss (no PyTorch fixture exists for it): a hand-made assignment and a short fit.</summary>
public class V8LossTests
{
    [Fact]
    public void Assigner_picks_the_topk_best_aligned_anchors_inside_each_box()
    {
        // 4x4 anchors at stride 8 (centres 4, 12, 20, 28) over a 32x32 image; gt0 = top-left quadrant (class 1),
        // gt1 = bottom-right quadrant (class 0). Predictions: a perfect box at anchor 0 (4,4) and anchor 15 (28,28),
        // a near box at anchors 5 (12,12) and 10 (20,20); everything else tiny.
        var (pts, _) = V8Loss.MakeAnchors([zeros(1, 1, 4, 4)], [8.0]);
        var anchors = pts * 8;
        var pd = new float[16 * 4];
        for (var i = 0; i < 16; i++)
        {
            var (cx, cy) = (4 + 8 * (i % 4), 4 + 8 * (i / 4));
            float[] b = i switch
            {
                0 => [0, 0, 16, 16], 5 => [1, 1, 15, 16], 15 => [16, 16, 32, 32], 10 => [17, 16, 31, 32],
                _ => [cx - 1, cy - 1, cx + 1, cy + 1],
            };
            Array.Copy(b, 0, pd, i * 4, 4);
        }
        using var pdBoxes = tensor(pd, [1, 16, 4]);
        using var scores = full([1, 16, 2], 0.5);
        using var gtLabels = tensor(new float[] { 1, 0 }, [1, 2, 1]);
        using var gtBoxes = tensor(new float[] { 0, 0, 16, 16, 16, 16, 32, 32 }, [1, 2, 4]);
        using var maskGt = ones(1, 2, 1);
        var a = new TaskAlignedAssigner(topk: 2, numClasses: 2).Assign(scores, pdBoxes, anchors, gtLabels, gtBoxes, maskGt);
        var fg = a.FgMask.view(-1).ToArray<bool>();
        Assert.Equal(new[] { 0, 5, 10, 15 }, Enumerable.Range(0, 16).Where(i => fg[i]).ToArray());
        var gtIdx = a.TargetGtIdx.view(-1).ToArray<long>();
        Assert.Equal(new long[] { 0, 0, 1, 1 }, new[] { gtIdx[0], gtIdx[5], gtIdx[10], gtIdx[15] });
        var ts = a.TargetScores.view(16, 2).ToArray<float>();
        // the perfect box gets the box's best IoU (1.0) as its score, in its class column only
        Assert.Equal(1.0f, ts[0 * 2 + 1], 4);
        Assert.Equal(0f, ts[0 * 2 + 0]);
        Assert.Equal(1.0f, ts[15 * 2 + 0], 4);
        Assert.InRange(ts[5 * 2 + 1], 0.01f, 0.999f);
        Assert.All(Enumerable.Range(0, 16).Where(i => !fg[i]), i => Assert.Equal(0f, ts[i * 2] + ts[i * 2 + 1]));
        var tb = a.TargetBoxes.view(16, 4).ToArray<float>();
        Assert.Equal(new float[] { 16, 16, 32, 32 }, tb.Skip(10 * 4).Take(4).ToArray());
    }

    static (Tensor targets, nn.Parameter[] feats) Problem(int nc, long seed)
    {
        using var g = new Generator((ulong)seed);
        var targets = tensor(new float[] { 0, 0, 0.3f, 0.3f, 0.3f, 0.4f, 0, 1, 0.7f, 0.6f, 0.25f, 0.2f, 1, 0, 0.5f, 0.5f, 0.5f, 0.5f }, [3, 6]);
        var feats = new[] { 8L, 4, 2 }.Select(s => new nn.Parameter(randn([2, 64 + nc, s, s], g) * 0.1)).ToArray();
        return (targets, feats);
    }

    static float[] Fit(Func<Tensor[], Tensor, LossResult> loss, nn.Parameter[] feats, Tensor targets, int steps)
    {
        using var opt = new optim.SGD(feats, lr: 0.02, momentum: 0.9);
        var values = new List<float>();
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            var r = loss(feats.Cast<Tensor>().ToArray(), targets);
            values.Add(r.Loss.item<float>());
            Assert.True(float.IsFinite(values[^1]));
            opt.zero_grad();
            r.Loss.backward();
            opt.step();
        }
        return values.ToArray();
    }

    [Fact]
    public void V8_loss_has_three_positive_parts_and_falls_in_a_short_fit()
    {
        var (targets, feats) = Problem(3, 1);
        var loss = new V8Loss(new V8LossHyp(), 3, [8, 16, 32]);
        using (var r0 = NewDisposeScope())
        {
            var r = loss.Compute(feats.Cast<Tensor>().ToArray(), targets);
            var items = r.Items.ToArray<float>();
            Assert.All(items, v => Assert.True(v > 0));
            Assert.Equal(items.Sum() * 2, r.Loss.item<float>(), 3);
        }
        var values = Fit(loss.Compute, feats, targets, 40);
        Assert.True(values[^1] < 0.5 * values[0], $"loss {values[0]} -> {values[^1]}");
    }

    [Fact]
    public void V10_dual_loss_sums_both_heads_and_falls()
    {
        var (targets, f1) = Problem(2, 2);
        var (_, f2) = Problem(2, 3);
        var loss = new V10Loss(new V8LossHyp(), 2, [8, 16, 32]);
        var all = f1.Concat(f2).ToArray();
        var values = Fit((fs, t) => loss.Compute(fs[..3], fs[3..], t), all, targets, 40);
        Assert.True(values[^1] < 0.5 * values[0], $"loss {values[0]} -> {values[^1]}");
        using var scope = NewDisposeScope();
        var single = new V8Loss(new V8LossHyp(), 2, [8, 16, 32], topk: 10).Compute(f1.Cast<Tensor>().ToArray(), targets);
        var one2one = new V8Loss(new V8LossHyp(), 2, [8, 16, 32], topk: 1).Compute(f2.Cast<Tensor>().ToArray(), targets);
        var dual = loss.Compute(f1.Cast<Tensor>().ToArray(), f2.Cast<Tensor>().ToArray(), targets);
        Assert.Equal(single.Loss.item<float>() + one2one.Loss.item<float>(), dual.Loss.item<float>(), 3);
        Assert.Equal(6, dual.Items.size(0));
    }

    [Fact]
    public void V8_loss_with_no_targets_is_only_classification()
    {
        var (_, feats) = Problem(3, 4);
        using var scope = NewDisposeScope();
        var r = new V8Loss(new V8LossHyp(), 3, [8, 16, 32]).Compute(feats.Cast<Tensor>().ToArray(), zeros(0, 6));
        var items = r.Items.ToArray<float>();
        Assert.Equal(0f, items[0]);
        Assert.True(items[1] > 0);
        Assert.Equal(0f, items[2]);
    }
}
