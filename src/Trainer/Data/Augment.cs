using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Trainer.Data;

/// <summary>Augmentation hyper-parameters (yolov5 hyp.scratch-low / ultralytics defaults).</summary>
public sealed record AugmentOptions(double HsvH = 0.015, double HsvS = 0.7, double HsvV = 0.4, double Translate = 0.1,
    double Scale = 0.5, double FlipLR = 0.5, double Mosaic = 1.0);

/// <summary>Image augmentation as tensor ops on float (3, H, W) images in 0..255, so it can run on any device.
/// Labels travel as rows [cls, x1, y1, x2, y2] in pixels.</summary>
public static class Augment
{
    public const double PadValue = 114;

    /// <summary>Resize-and-pad to a square (yolov5 letterbox, auto=False, scaleup only when allowed).</summary>
    public static (Tensor img, double ratio, double padW, double padH) Letterbox(Tensor img, int size, bool scaleUp = true)
    {
        var (h, w) = (img.size(1), img.size(2));
        var r = Math.Min(size / (double)h, size / (double)w);
        if (!scaleUp) r = Math.Min(r, 1.0);
        var (nw, nh) = ((long)Math.Round(w * r), (long)Math.Round(h * r));
        var (dw, dh) = ((size - nw) / 2.0, (size - nh) / 2.0);
        using var scope = NewDisposeScope();
        var x = img;
        if (nw != w || nh != h) x = F.interpolate(img.unsqueeze(0), size: [nh, nw], mode: "bilinear", align_corners: false).squeeze(0);
        var (top, bottom) = ((long)Math.Round(dh - 0.1), (long)Math.Round(dh + 0.1));
        var (left, right) = ((long)Math.Round(dw - 0.1), (long)Math.Round(dw + 0.1));
        var padded = F.pad(x, [left, right, top, bottom], PadValue);
        return (padded.MoveToOuterDisposeScope(), r, left, top);
    }

    /// <summary>4-image mosaic on a 2S canvas around a random centre (yolov5 load_mosaic, before random_perspective).</summary>
    public static (Tensor canvas, List<float[]> labels) Mosaic(int s, IReadOnlyList<(Tensor img, float[][] labelsNorm)> four, Random rng)
    {
        var yc = (int)Uniform(rng, s / 2.0, 1.5 * s);
        var xc = (int)Uniform(rng, s / 2.0, 1.5 * s);
        var canvas = full([3, 2L * s, 2L * s], PadValue);
        var labels = new List<float[]>();
        for (var i = 0; i < 4; i++)
        {
            var (img, lab) = four[i];
            var (h, w) = ((int)img.size(1), (int)img.size(2));
            int x1a, y1a, x2a, y2a, x1b, y1b, x2b, y2b;
            switch (i)
            {
                case 0: (x1a, y1a, x2a, y2a) = (Math.Max(xc - w, 0), Math.Max(yc - h, 0), xc, yc); (x1b, y1b, x2b, y2b) = (w - (x2a - x1a), h - (y2a - y1a), w, h); break;
                case 1: (x1a, y1a, x2a, y2a) = (xc, Math.Max(yc - h, 0), Math.Min(xc + w, 2 * s), yc); (x1b, y1b, x2b, y2b) = (0, h - (y2a - y1a), Math.Min(w, x2a - x1a), h); break;
                case 2: (x1a, y1a, x2a, y2a) = (Math.Max(xc - w, 0), yc, xc, Math.Min(2 * s, yc + h)); (x1b, y1b, x2b, y2b) = (w - (x2a - x1a), 0, w, Math.Min(y2a - y1a, h)); break;
                default: (x1a, y1a, x2a, y2a) = (xc, yc, Math.Min(xc + w, 2 * s), Math.Min(2 * s, yc + h)); (x1b, y1b, x2b, y2b) = (0, 0, Math.Min(w, x2a - x1a), Math.Min(y2a - y1a, h)); break;
            }
            if (x2a > x1a && y2a > y1a)
            {
                using var dst = canvas.slice(1, y1a, y2a).slice(2, x1a, x2a);
                using var src = img.slice(1, y1b, y2b).slice(2, x1b, x2b);
                dst.copy_(src);
            }
            var (padw, padh) = (x1a - x1b, y1a - y1b);
            foreach (var l in lab) labels.Add(NormToPixels(l, w, h, padw, padh));
        }
        // clip to the canvas, as yolov5 does before random_perspective
        foreach (var l in labels) for (var k = 1; k < 5; k++) l[k] = Math.Clamp(l[k], 0, 2 * s);
        return (canvas, labels);
    }

    /// <summary>[cls, x, y, w, h] normalised → [cls, x1, y1, x2, y2] pixels in an image of w×h shifted by pad.</summary>
    public static float[] NormToPixels(float[] l, double w, double h, double padw, double padh) =>
    [
        l[0], (float)(w * (l[1] - l[3] / 2) + padw), (float)(h * (l[2] - l[4] / 2) + padh),
        (float)(w * (l[1] + l[3] / 2) + padw), (float)(h * (l[2] + l[4] / 2) + padh),
    ];

    /// <summary>yolov5 random_perspective with degrees = shear = perspective = 0 (the defaults): random scale about
    /// the centre and random translation, output (S, S); out-of-image boxes are clipped and filtered
    /// (box_candidates: w, h > 2 px, area ratio > 0.1, aspect < 100). Sampling is bilinear (grid_sample).</summary>
    public static (Tensor img, List<float[]> labels) RandomAffine(Tensor img, List<float[]> labels, int outSize, AugmentOptions o, Random rng)
    {
        var (h, w) = (img.size(1), img.size(2));
        var s = Uniform(rng, 1 - o.Scale, 1 + o.Scale);
        var tx = Uniform(rng, 0.5 - o.Translate, 0.5 + o.Translate) * outSize;
        var ty = Uniform(rng, 0.5 - o.Translate, 0.5 + o.Translate) * outSize;
        // forward map: x' = s (x - w/2) + tx; sample the source at x = (x' - tx)/s + w/2 for every output pixel
        using var scope = NewDisposeScope();
        var u = arange(outSize, ScalarType.Float32);
        var xs = (u - tx) / s + w / 2.0;
        var ys = (u - ty) / s + h / 2.0;
        var xn = (xs * 2 + 1) / w - 1;
        var yn = (ys * 2 + 1) / h - 1;
        var g = meshgrid([yn, xn], "ij");
        var grid = stack([g[1], g[0]], -1).unsqueeze(0).to(img.device);
        // grid_sample pads with 0: shift so that the padding comes out as 114
        var shifted = (img - PadValue).unsqueeze(0);
        var outImg = (F.grid_sample(shifted, grid, "bilinear", "zeros", false).squeeze(0) + PadValue).MoveToOuterDisposeScope();
        var kept = new List<float[]>();
        foreach (var l in labels)
        {
            var nx1 = (float)(s * (l[1] - w / 2.0) + tx); var nx2 = (float)(s * (l[3] - w / 2.0) + tx);
            var ny1 = (float)(s * (l[2] - h / 2.0) + ty); var ny2 = (float)(s * (l[4] - h / 2.0) + ty);
            var c = new[] { l[0], Math.Clamp(nx1, 0, outSize), Math.Clamp(ny1, 0, outSize), Math.Clamp(nx2, 0, outSize), Math.Clamp(ny2, 0, outSize) };
            if (BoxCandidate(l[3] - l[1], l[4] - l[2], c[3] - c[1], c[4] - c[2], s)) kept.Add(c);
        }
        return (outImg, kept);
    }

    static bool BoxCandidate(double w1, double h1, double w2, double h2, double scale)
    {
        const double eps = 1e-16;
        var ar = Math.Max(w2 / (h2 + eps), h2 / (w2 + eps));
        return w2 > 2 && h2 > 2 && w2 * h2 / (w1 * scale * h1 * scale + eps) > 0.1 && ar < 100;
    }

    /// <summary>yolov5 augment_hsv: random gains on hue (wrapping), saturation and value, via RGB↔HSV tensor maths.</summary>
    public static Tensor Hsv(Tensor img, AugmentOptions o, Random rng)
    {
        var gh = Uniform(rng, -1, 1) * o.HsvH + 1;
        var gs = Uniform(rng, -1, 1) * o.HsvS + 1;
        var gv = Uniform(rng, -1, 1) * o.HsvV + 1;
        using var scope = NewDisposeScope();
        var x = img / 255.0;
        var r = x.select(0, 0); var g = x.select(0, 1); var b = x.select(0, 2);
        var maxc = x.amax([0]); var minc = x.amin([0]);
        var delta = maxc - minc;
        var safeDelta = where(delta.gt(0), delta, 1.0);
        var safeMax = where(maxc.gt(0), maxc, 1.0);
        var sat = where(maxc.gt(0), delta / safeMax, 0.0);
        var rc = (maxc - r) / safeDelta; var gc = (maxc - g) / safeDelta; var bc = (maxc - b) / safeDelta;
        var hue = where(r.eq(maxc), bc - gc, where(g.eq(maxc), rc - bc + 2.0, gc - rc + 4.0));
        hue = where(delta.gt(0), (hue / 6.0).remainder(1.0), 0.0);
        hue = (hue * gh).remainder(1.0);
        sat = (sat * gs).clamp(0, 1);
        var val = (maxc * gv).clamp(0, 1);
        var h6 = hue * 6.0;
        var i = h6.floor();
        var f = h6 - i;
        var p = val * (1 - sat);
        var q = val * (1 - sat * f);
        var t = val * (1 - sat * (1 - f));
        var idx = i.remainder(6).@long().unsqueeze(0);
        var R = stack([val, q, p, p, t, val]).gather(0, idx);
        var G = stack([t, val, val, q, p, p]).gather(0, idx);
        var B = stack([p, p, t, val, val, q]).gather(0, idx);
        return (cat([R, G, B]) * 255.0).MoveToOuterDisposeScope();
    }

    public static (Tensor img, List<float[]> labels) FlipLR(Tensor img, List<float[]> labels)
    {
        var w = (float)img.size(2);
        var flipped = img.flip(2);
        return (flipped, labels.Select(l => new[] { l[0], w - l[3], l[2], w - l[1], l[4] }).ToList());
    }

    public static double Uniform(Random rng, double lo, double hi) => lo + (hi - lo) * rng.NextDouble();
}
