using System.Text.Json;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch.Tests;

// Parity with the PyTorch-written fixtures in tests/data/fixtures (see the README there).
public class FixtureTests
{
    [Theory]
    [InlineData("yolov5_n")]
    [InlineData("C3_Faster_n")]
    [InlineData("C3_AKConv_n")]
    [InlineData("yolov8n")]
    [InlineData("yolov10n")]
    public void Generator_init_reproduces_the_check_tensors_bit_for_bit(string model)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Fixture(model + ".json")));
        var root = json.RootElement;
        var checks = root.GetProperty("check").EnumerateObject().Select(p => p.Value.GetString()!).ToHashSet();
        var stored = safetensors.load_file(TestData.Fixture(model + ".safetensors"));
        using var s = NewDisposeScope();
        foreach (var t in stored.Values) t.MoveToOuterDisposeScope();
        using var g = new Generator((ulong)root.GetProperty("generator_init").GetProperty("seed").GetInt64());
        int drawn = 0, compared = 0;
        foreach (var e in root.GetProperty("state_dict").EnumerateArray())
        {
            if (!e.TryGetProperty("lo", out var loEl)) continue;  // kept / fill_1 entries draw nothing
            double lo = loEl.GetDouble(), hi = e.GetProperty("hi").GetDouble();
            var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
            using var inner = NewDisposeScope();
            var w = rand(shape, g) * (hi - lo) + lo;  // two float32 ops with double scalars, as the generator did
            drawn++;
            var name = "check." + e.GetProperty("name").GetString();
            if (!checks.Contains(name)) continue;
            var expected = stored[name];
            Assert.Equal(expected.shape, w.shape);
            Assert.True(w.equal(expected), $"{name}: regenerated values differ from PyTorch's");
            compared++;
        }
        Assert.Equal(root.GetProperty("generator_init").GetProperty("entries_drawn").GetInt32(), drawn);
        Assert.Equal(3, compared);
    }

    // yolov5 v7.0 non_max_suppression exactly as nms_v5.json's procedure_detail describes, over our ops; the
    // primitive under test is torch.ops.nms (class offsets 7680), the rest pins the indexing ops it relies on.
    static Tensor Yolov5Nms(Tensor pred, double conf, double iou, bool multiLabel, long maxDet)
    {
        var x = pred[pred[.., 4] > conf];
        x[.., 5..] = x[.., 5..] * x[.., 4..5];
        var box = torch.cat([x[.., 0..1] - x[.., 2..3] / 2, x[.., 1..2] - x[.., 3..4] / 2,
                             x[.., 0..1] + x[.., 2..3] / 2, x[.., 1..2] + x[.., 3..4] / 2], 1);
        if (multiLabel)
        {
            var ij = (x[.., 5..] > conf).nonzero().t();
            var (i, j) = (ij[0], ij[1]);
            x = torch.cat([box[i], x[i, j + 5, TensorIndex.None], j[.., TensorIndex.None].@float()], 1);
        }
        else
        {
            var (c, j) = x[.., 5..].max(1, keepdim: true);
            x = torch.cat([box, c, j.@float()], 1)[c.view(-1) > conf];
        }
        x = x[x[.., 4].argsort(descending: true)];
        var boxes = x[.., ..4] + x[.., 5..6] * 7680;
        var keep = ops.nms(boxes, x[.., 4], iou);
        keep = keep[..(int)Math.Min(maxDet, keep.size(0))];
        return x[keep];
    }

    [Fact]
    public void Nms_reproduces_yolov5_non_max_suppression_outputs_bit_for_bit()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestData.Fixture("nms_v5.json")));
        var stored = safetensors.load_file(TestData.Fixture("nms_v5.safetensors"));
        using var s = NewDisposeScope();
        foreach (var t in stored.Values) t.MoveToOuterDisposeScope();
        var pred = stored["prediction"];
        var cases = 0;
        foreach (var c in json.RootElement.GetProperty("cases").EnumerateObject())
        {
            var v = c.Value;
            var kept = v.GetProperty("kept").EnumerateArray().Select(k => k.GetInt64()).ToArray();
            for (var img = 0; img < pred.size(0); img++)
            {
                var outp = Yolov5Nms(pred[img], v.GetProperty("conf_thres").GetDouble(), v.GetProperty("iou_thres").GetDouble(),
                    v.GetProperty("multi_label").GetBoolean(), v.GetProperty("max_det").GetInt64());
                var expected = stored[$"{c.Name}.{img}"];
                Assert.Equal(kept[img], outp.size(0));
                Assert.True(outp.equal(expected), $"{c.Name} image {img}: rows differ from yolov5's");
            }
            cases++;
        }
        Assert.Equal(4, cases);
    }

    [Fact]
    public void Batched_nms_keeps_overlapping_boxes_of_different_classes()
    {
        using var s = NewDisposeScope();
        var boxes = tensor(new float[] { 0, 0, 10, 10, 1, 1, 11, 11, 0, 0, 10, 10, 50, 50, 60, 60 }, [4, 4]);
        var scores = tensor(new float[] { 0.9f, 0.8f, 0.7f, 0.6f });
        var classes = tensor(new long[] { 0, 0, 1, 1 });
        // Box 1 overlaps box 0 (IoU 0.68) in class 0 and is suppressed; box 2 is the same box as 0 but class 1.
        Assert.Equal(new long[] { 0, 2, 3 }, ops.batched_nms(boxes, scores, classes, 0.5).ToArray<long>());
        Assert.Equal(new long[] { 0, 3 }, ops.nms(boxes, scores, 0.5).ToArray<long>());
        Assert.Equal(new long[] { 0, 1, 3 }, ops.nms(boxes, scores, 0.7).ToArray<long>().Order().ToArray().Where(i => i != 2).ToArray());
    }
}
