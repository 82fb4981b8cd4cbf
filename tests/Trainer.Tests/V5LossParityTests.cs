using YoloSweep.Trainer.Loss;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

/// <summary>yolov5 v7.0 ComputeLoss against loss_v5n (yolov5n train outputs + 21 targets incl. edge cases).</summary>
public class V5LossParityTests
{
    static float[][][] Anchors()
    {
        var j = Fixtures.Json("loss_v5n")["anchors_grid_units"]!.AsArray();
        return j.Select(l => l!.AsArray().Select(a => a!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray()).ToArray()).ToArray();
    }

    [Fact]
    public void Build_targets_reproduces_every_level_exactly()
    {
        var fx = Fixtures.Load("loss_v5n");
        var loss = new V5Loss(new V5LossHyp(), 3, Anchors());
        var preds = new[] { fx["preds.0"], fx["preds.1"], fx["preds.2"] };
        var built = loss.BuildTargets(preds, fx["targets"]);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(fx[$"build_targets.{i}.b"].ToArray<long>(), built[i].B.ToArray<long>());
            Assert.Equal(fx[$"build_targets.{i}.a"].ToArray<long>(), built[i].A.ToArray<long>());
            Assert.Equal(fx[$"build_targets.{i}.gj"].ToArray<long>(), built[i].Gj.ToArray<long>());
            Assert.Equal(fx[$"build_targets.{i}.gi"].ToArray<long>(), built[i].Gi.ToArray<long>());
            Assert.Equal(fx[$"build_targets.{i}.tcls"].ToArray<long>(), built[i].TCls.ToArray<long>());
            Assert.True(Fixtures.MaxAbsError(built[i].TBox, fx[$"build_targets.{i}.tbox"]) <= 1e-6);
            Assert.True(Fixtures.MaxAbsError(built[i].Anch, fx[$"build_targets.{i}.anch"]) == 0);
        }
        Assert.Equal(new long[] { 105, 96, 27 }, built.Select(b => b.B.size(0)).ToArray());
    }

    [Theory]
    [InlineData("hyp", false)]
    [InlineData("hyp_trainpy", true)]
    public void Loss_and_gradients_match_yolov5_within_1e_5_relative(string caseName, bool trainPyScaling)
    {
        var fx = Fixtures.Load("loss_v5n");
        var hyp = new V5LossHyp();
        if (trainPyScaling) hyp = hyp.ScaledFor(3, 3, 160);
        var preds = Enumerable.Range(0, 3).Select(i => fx[$"preds.{i}"].clone().requires_grad_()).ToArray();
        var loss = new V5Loss(hyp, 3, Anchors());
        var r = loss.Compute(preds, fx["targets"]);
        Assert.True(Fixtures.MaxRelError(r.Loss, fx[$"{caseName}.loss"]) < 1e-5, $"loss {r.Loss.item<float>()} vs {fx[$"{caseName}.loss"].item<float>()}");
        Assert.True(Fixtures.MaxRelError(r.Items, fx[$"{caseName}.loss_items"]) < 1e-5);
        r.Loss.backward();
        var prefix = caseName == "hyp" ? "" : "hyp_trainpy.";
        for (var i = 0; i < 3; i++)
        {
            using var g = preds[i].grad!;
            var expected = fx[$"{prefix}grad.preds.{i}"];
            // relative to the gradient's scale: elementwise relative error is meaningless where grads are ~0
            using var scale = expected.abs().max();
            var err = Fixtures.MaxAbsError(g, expected) / scale.item<float>();
            Assert.True(err < 1e-5, $"level {i}: grad error {err:E3} of max |grad|");
        }
    }

    [Fact]
    public void Train_py_scaling_gives_the_fixture_hyp()
    {
        var h = new V5LossHyp().ScaledFor(3, 3, 160);
        Assert.Equal(0.01875, h.Cls, 12);
        Assert.Equal(0.0625, h.Obj, 12);
        Assert.Equal(0.05, h.Box, 12);
    }
}
