using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Loss;

/// <summary>Box geometry shared by the losses, the assigner and validation (yolov5 / ultralytics formulas).</summary>
public static class BoxOps
{
    /// <summary>Whose bbox_iou: the two differ in one place, the heights of xyxy boxes.</summary>
    public enum IouForm
    {
        /// <summary>yolov5 v7.0 utils.metrics.bbox_iou: h = (y2 − y1).clamp(eps).</summary>
        Yolov5,
        /// <summary>ultralytics 8.1 utils.metrics.bbox_iou (the v8 and v10 losses and assigner): h = y2 − y1 + eps.</summary>
        Ultralytics,
    }

    /// <summary>IoU / CIoU of paired boxes (…,4) → (…,1), as the <paramref name="form"/> family's bbox_iou (eps 1e-7).</summary>
    public static Tensor BboxIou(Tensor box1, Tensor box2, bool xywh = true, bool ciou = false, double eps = 1e-7, IouForm form = IouForm.Yolov5)
    {
        Tensor b1x1, b1x2, b1y1, b1y2, b2x1, b2x2, b2y1, b2y2, w1, h1, w2, h2;
        var c1 = box1.chunk(4, -1);
        var c2 = box2.chunk(4, -1);
        if (xywh)
        {
            var (x1, y1) = (c1[0], c1[1]);
            (w1, h1) = (c1[2], c1[3]);
            var (x2, y2) = (c2[0], c2[1]);
            (w2, h2) = (c2[2], c2[3]);
            var (w1_, h1_, w2_, h2_) = (w1 / 2, h1 / 2, w2 / 2, h2 / 2);
            (b1x1, b1x2, b1y1, b1y2) = (x1 - w1_, x1 + w1_, y1 - h1_, y1 + h1_);
            (b2x1, b2x2, b2y1, b2y2) = (x2 - w2_, x2 + w2_, y2 - h2_, y2 + h2_);
        }
        else
        {
            (b1x1, b1y1, b1x2, b1y2) = (c1[0], c1[1], c1[2], c1[3]);
            (b2x1, b2y1, b2x2, b2y2) = (c2[0], c2[1], c2[2], c2[3]);
            if (form == IouForm.Ultralytics)
            {
                (w1, h1) = (b1x2 - b1x1, b1y2 - b1y1 + eps);
                (w2, h2) = (b2x2 - b2x1, b2y2 - b2y1 + eps);
            }
            else
            {
                (w1, h1) = (b1x2 - b1x1, (b1y2 - b1y1).clamp(eps));
                (w2, h2) = (b2x2 - b2x1, (b2y2 - b2y1).clamp(eps));
            }
        }
        var inter = (b1x2.minimum(b2x2) - b1x1.maximum(b2x1)).clamp(0) * (b1y2.minimum(b2y2) - b1y1.maximum(b2y1)).clamp(0);
        var union = w1 * h1 + w2 * h2 - inter + eps;
        var iou = inter / union;
        if (!ciou) return iou;
        var cw = b1x2.maximum(b2x2) - b1x1.minimum(b2x1);
        var ch = b1y2.maximum(b2y2) - b1y1.minimum(b2y1);
        var c2d = cw.pow(2) + ch.pow(2) + eps;
        var rho2 = ((b2x1 + b2x2 - b1x1 - b1x2).pow(2) + (b2y1 + b2y2 - b1y1 - b1y2).pow(2)) / 4;
        var v = (4 / (Math.PI * Math.PI)) * ((w2 / h2).atan() - (w1 / h1).atan()).pow(2);
        Tensor alpha;
        using (no_grad()) alpha = v / (v - iou + (1 + eps));
        return iou - (rho2 / c2d + v * alpha);
    }

    /// <summary>Pairwise IoU (N,4)x(M,4) xyxy → (N,M), as yolov5 box_iou (eps 1e-7).</summary>
    public static Tensor BoxIou(Tensor box1, Tensor box2, double eps = 1e-7)
    {
        var a = box1.unsqueeze(1).chunk(2, 2);
        var b = box2.unsqueeze(0).chunk(2, 2);
        var inter = (a[1].minimum(b[1]) - a[0].maximum(b[0])).clamp(0).prod(2);
        return inter / ((a[1] - a[0]).prod(2) + (b[1] - b[0]).prod(2) - inter + eps);
    }

    public static Tensor XywhToXyxy(Tensor x)
    {
        var c = x.chunk(4, -1);
        var (hw, hh) = (c[2] / 2, c[3] / 2);
        return cat([c[0] - hw, c[1] - hh, c[0] + hw, c[1] + hh], -1);
    }

    public static Tensor XyxyToXywh(Tensor x)
    {
        var c = x.chunk(4, -1);
        return cat([(c[0] + c[2]) / 2, (c[1] + c[3]) / 2, c[2] - c[0], c[3] - c[1]], -1);
    }
}
