using YoloSweep.Trainer.Loss;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

/// <summary>bbox_iou of xyxy boxes in each family's form (the heights differ: yolov5 clamps them to eps, ultralytics
/// adds eps), checked by hand with an eps large enough to see.</summary>
public class BoxOpsTests
{
    static double Iou(double[] a, double[] b, BoxOps.IouForm form, bool ciou = false)
    {
        using var scope = NewDisposeScope();
        return BoxOps.BboxIou(tensor(a, [1, 4]), tensor(b, [1, 4]), xywh: false, ciou: ciou, eps: 0.5, form: form).item<double>();
    }

    [Fact]
    public void Yolov5_clamps_box_heights_to_eps()
    {
        // two equal 2×1 boxes: h = max(1, .5) = 1; inter 2, union 2 + 2 − 2 + .5 → 2 / 2.5
        Assert.Equal(0.8, Iou([0, 0, 2, 1], [0, 0, 2, 1], BoxOps.IouForm.Yolov5), 12);
        // a 2×0.2 box inside a 2×1 box: its h becomes .5; inter 2·.2, union 2·.5 + 2·1 − .4 + .5
        Assert.Equal(0.4 / 3.1, Iou([0, 0, 2, 0.2], [0, 0, 2, 1], BoxOps.IouForm.Yolov5), 12);
    }

    [Fact]
    public void Ultralytics_adds_eps_to_box_heights()
    {
        // h = 1 + .5: union 2·1.5 + 2·1.5 − 2 + .5 → 2 / 4.5
        Assert.Equal(2 / 4.5, Iou([0, 0, 2, 1], [0, 0, 2, 1], BoxOps.IouForm.Ultralytics), 12);
        // h = .2 + .5 and 1 + .5: union 2·.7 + 2·1.5 − .4 + .5
        Assert.Equal(0.4 / 4.5, Iou([0, 0, 2, 0.2], [0, 0, 2, 1], BoxOps.IouForm.Ultralytics), 12);
        // CIoU of equal boxes is their IoU (no centre distance, same aspect ratio)
        Assert.Equal(2 / 4.5, Iou([0, 0, 2, 1], [0, 0, 2, 1], BoxOps.IouForm.Ultralytics, ciou: true), 12);
    }
}
