using Xunit.Abstractions;
using YoloSweep.Trainer.Metrics;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

/// <summary>yolov5 val.py metrics and non_max_suppression against the metrics_v5 / nms_v5 fixtures.</summary>
public class MetricsParityTests(ITestOutputHelper output)
{
    [Fact]
    public void Val_metrics_match_yolov5_within_1e_6()
    {
        var fx = Fixtures.Load("metrics_v5");
        var preds = fx["preds"];
        var labels = fx["labels"];
        var m = new DetectionMetrics();
        var correctRows = new List<bool[]>();
        for (var im = 0; im < 50; im++)
        {
            using var pi = preds.index(preds.select(1, 0).eq(im)).slice(1, 1, null);
            using var li = labels.index(labels.select(1, 0).eq(im)).slice(1, 1, null);
            m.Update(pi, li);
            if (pi.size(0) > 0) correctRows.AddRange(DetectionMetrics.ProcessBatch(pi.contiguous(), li.contiguous()));
        }
        var expectedCorrect = fx["correct"].ToArray<byte>();
        Assert.Equal(expectedCorrect.Length, correctRows.Count * 10);
        for (var i = 0; i < correctRows.Count; i++)
            for (var t = 0; t < 10; t++)
                Assert.True(expectedCorrect[i * 10 + t] == (correctRows[i][t] ? 1 : 0), $"correct[{i},{t}]");

        var s = m.Compute(5);
        var p = fx["p"].ToArray<double>();
        var r = fx["r"].ToArray<double>();
        var ap = fx["ap"].ToArray<double>();
        var summary = fx["summary"].ToArray<double>();
        double maxErr = 0;
        for (var c = 0; c < 5; c++)
        {
            maxErr = Math.Max(maxErr, Math.Abs(s.PerClass[c].P - p[c]));
            maxErr = Math.Max(maxErr, Math.Abs(s.PerClass[c].R - r[c]));
            maxErr = Math.Max(maxErr, Math.Abs(s.PerClass[c].AP50 - ap[c * 10]));
            maxErr = Math.Max(maxErr, Math.Abs(s.PerClass[c].AP50_95 - Enumerable.Range(0, 10).Average(j => ap[c * 10 + j])));
        }
        double[] ours = [s.P, s.R, s.Map50, s.Map50_95];
        for (var k = 0; k < 4; k++) maxErr = Math.Max(maxErr, Math.Abs(ours[k] - summary[k]));
        output.WriteLine($"metrics_v5 max abs error {maxErr:E3}; mP {s.P} mR {s.R} mAP50 {s.Map50} mAP50-95 {s.Map50_95}");
        Assert.True(maxErr <= 1e-6, $"max error {maxErr:E3}");
        Assert.Equal(0.5599306244808258, s.Map50, 6);
        Assert.Equal(0.1 * s.Map50 + 0.9 * s.Map50_95, s.Fitness, 12);
    }

    [Theory]
    [InlineData("conf0.001_iou0.6_single", 0.001, 0.6, false)]
    [InlineData("conf0.001_iou0.6_multilabel", 0.001, 0.6, true)]
    [InlineData("conf0.25_iou0.45_single", 0.25, 0.45, false)]
    [InlineData("conf0.25_iou0.45_multilabel", 0.25, 0.45, true)]
    public void Nms_matches_yolov5_non_max_suppression(string name, double conf, double iou, bool multiLabel)
    {
        var fx = Fixtures.Load("nms_v5");
        var outs = Nms.NonMaxSuppression(fx["prediction"], conf, iou, multiLabel, 300);
        for (var i = 0; i < 2; i++)
        {
            var expected = fx[$"{name}.{i}"];
            Assert.Equal(expected.shape, outs[i].shape);
            var err = Fixtures.MaxAbsError(outs[i], expected);
            output.WriteLine($"{name}.{i}: {outs[i].size(0)} kept, max abs error {err:E3}");
            Assert.True(err <= 1e-4, $"{name}.{i}: max abs error {err}");
        }
    }
}
