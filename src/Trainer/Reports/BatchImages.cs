using System.Runtime.InteropServices;
using SkiaSharp;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Reports;

/// <summary>A box to draw: class, pixel corners and, for a prediction, its confidence.</summary>
public sealed record DrawBox(int Cls, float X1, float Y1, float X2, float Y2, float? Conf = null);

/// <summary>Images with their boxes drawn, as ultralytics plot_images (train_batch*.jpg, val_batch*_labels/pred.jpg)
/// and the Annotator of `predict --save`: one colour per class from ultralytics' palette, "name conf" tags.</summary>
public static class BatchImages
{
    // ultralytics.utils.plotting.Colors
    static readonly string[] Palette =
    [
        "FF3838", "FF9D97", "FF701F", "FFB21D", "CFD231", "48F90A", "92CC17", "3DDB86", "1A9334", "00D4BB",
        "2C99A8", "00C2FF", "344593", "6473FF", "0018EC", "8438FF", "520085", "CB38FF", "FF95C8", "FF37C7",
    ];

    public static SKColor ColorOf(int cls) => SKColor.Parse(Palette[((cls % Palette.Length) + Palette.Length) % Palette.Length]);

    /// <summary>Targets (n, 6) [image, cls, x, y, w, h] normalised to an S×S batch → boxes per image in pixels.</summary>
    public static List<List<DrawBox>> FromTargets(Tensor targets, int s, int batchSize)
    {
        var result = Enumerable.Range(0, batchSize).Select(_ => new List<DrawBox>()).ToList();
        if (targets.size(0) == 0) return result;
        using var c = targets.cpu().contiguous();
        var v = c.ToArray<float>();
        for (var k = 0; k < v.Length / 6; k++)
        {
            var (img, cls, x, y, w, h) = ((int)v[k * 6], (int)v[k * 6 + 1], v[k * 6 + 2] * s, v[k * 6 + 3] * s, v[k * 6 + 4] * s, v[k * 6 + 5] * s);
            if (img >= 0 && img < batchSize) result[img].Add(new DrawBox(cls, x - w / 2, y - h / 2, x + w / 2, y + h / 2));
        }
        return result;
    }

    /// <summary>Detections (n, 6) [x1, y1, x2, y2, conf, cls] above <paramref name="minConf"/> (ultralytics draws
    /// predictions above 0.25).</summary>
    public static List<DrawBox> FromDetections(Tensor det, double minConf)
    {
        var list = new List<DrawBox>();
        if (det.size(0) == 0) return list;
        using var c = det.detach().cpu().@float().contiguous();
        var v = c.ToArray<float>();
        for (var k = 0; k < v.Length / 6; k++)
            if (v[k * 6 + 4] > minConf) list.Add(new DrawBox((int)v[k * 6 + 5], v[k * 6], v[k * 6 + 1], v[k * 6 + 2], v[k * 6 + 3], v[k * 6 + 4]));
        return list;
    }

    /// <summary>Up to 16 images of a batch (B, 3, S, S) in [0, 1] as a square mosaic with their boxes. Tiles of small
    /// images are enlarged to at least 256 px so the tags stay readable; the mosaic is at most 1920 px wide.</summary>
    public static void Save(Tensor images, IReadOnlyList<IReadOnlyList<DrawBox>> boxes, IReadOnlyList<string> names, string path, int maxImages = 16)
    {
        var n = (int)Math.Min(images.size(0), maxImages);
        if (n == 0) return;
        var s = (int)images.size(2);
        var ns = (int)Math.Ceiling(Math.Sqrt(n));
        var scale = Math.Min(1920.0 / ns / s, Math.Max(1.0, 256.0 / s));
        var tile = (int)Math.Round(s * scale);
        using var bmp = new SKBitmap(ns * tile, (int)Math.Ceiling(n / (double)ns) * tile, SKColorType.Rgba8888, SKAlphaType.Opaque);
        using var canvas = new SKCanvas(bmp);
        canvas.Clear(SKColors.White);
        using var tiles = HwcBytes(images.slice(0, 0, n));
        var bytes = tiles.ToArray<byte>();
        using var paint = new SKPaint { IsAntialias = true };
        for (var i = 0; i < n; i++)
        {
            using var img = ToBitmap(bytes.AsSpan(i * s * s * 3, s * s * 3), s, s);
            var (ox, oy) = (i % ns * tile, i / ns * tile);
            using var skImg = SKImage.FromBitmap(img);
            canvas.DrawImage(skImg, new SKRect(ox, oy, ox + tile, oy + tile), new SKSamplingOptions(SKFilterMode.Linear));
            DrawBoxes(canvas, i < boxes.Count ? boxes[i] : [], names, (float)scale, ox, oy, Math.Max(1.5f, tile / 160f), Math.Max(11f, tile / 22f));
            using var border = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Stroke, StrokeWidth = 2 };
            canvas.DrawRect(ox, oy, tile, tile, border);
        }
        WriteJpeg(bmp, path);
    }

    /// <summary>An HWC uint8 RGB image with its boxes (original pixels) drawn, saved as JPEG or PNG by extension.</summary>
    public static void Annotate(Tensor hwc, IReadOnlyList<DrawBox> boxes, IReadOnlyList<string> names, string path)
    {
        var (h, w) = ((int)hwc.size(0), (int)hwc.size(1));
        using var c = hwc.contiguous();
        var bytes = c.ToArray<byte>();
        using var bmp = ToBitmap(bytes, w, h);
        using var canvas = new SKCanvas(bmp);
        // ultralytics Annotator: line width ~0.3% of the image perimeter, at least 2 px
        var lw = Math.Max(2f, (h + w) / 2f * 0.003f);
        DrawBoxes(canvas, boxes, names, 1f, 0, 0, lw, Math.Max(9f, (h + w) / 2f * 0.035f));
        if (path.EndsWith(".png", StringComparison.OrdinalIgnoreCase)) WritePng(bmp, path);
        else WriteJpeg(bmp, path);
    }

    static void DrawBoxes(SKCanvas canvas, IReadOnlyList<DrawBox> boxes, IReadOnlyList<string> names, float scale, float ox, float oy, float lineWidth, float fontSize)
    {
        using var font = new SKFont(Typeface, fontSize);
        using var stroke = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = lineWidth };
        using var fill = new SKPaint { IsAntialias = true, Style = SKPaintStyle.Fill };
        using var text = new SKPaint { IsAntialias = true, Color = SKColors.White };
        foreach (var b in boxes)
        {
            var colour = ColorOf(b.Cls);
            var r = new SKRect(ox + b.X1 * scale, oy + b.Y1 * scale, ox + b.X2 * scale, oy + b.Y2 * scale);
            stroke.Color = colour;
            canvas.DrawRect(r, stroke);
            var label = (b.Cls >= 0 && b.Cls < names.Count ? names[b.Cls] : b.Cls.ToString()) + (b.Conf is { } conf ? $" {conf:F2}" : "");
            var tw = font.MeasureText(label);
            var th = fontSize * 1.15f;
            var top = r.Top - th >= 0 ? r.Top - th : r.Top;  // tag above the box, inside when at the top edge
            fill.Color = colour;
            canvas.DrawRect(new SKRect(r.Left - lineWidth / 2, top, r.Left + tw + 4, top + th), fill);
            text.Color = Luma(colour) > 0.6 ? SKColors.Black : SKColors.White;
            canvas.DrawText(label, r.Left + 2, top + fontSize * 0.9f, SKTextAlign.Left, font, text);
        }
    }

    static double Luma(SKColor c) => (0.299 * c.Red + 0.587 * c.Green + 0.114 * c.Blue) / 255;

    /// <summary>The plots' sans-serif typeface (DejaVu Sans when installed).</summary>
    internal static SKTypeface Typeface => s_typeface.Value;
    static readonly Lazy<SKTypeface> s_typeface = new(() => ScottPlot.Fonts.GetTypeface(RunPlots.FontFamily, false, false));

    /// <summary>(B, 3, S, S) float in [0, 1] → (B, S, S, 3) uint8.</summary>
    static Tensor HwcBytes(Tensor images)
    {
        using var scope = NewDisposeScope();
        return (images.detach().cpu().@float() * 255).round().clamp(0, 255).to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope();
    }

    static SKBitmap ToBitmap(ReadOnlySpan<byte> rgb, int w, int h)
    {
        var rgba = new byte[w * h * 4];
        for (int i = 0, j = 0; i < w * h; i++, j += 3)
        {
            rgba[i * 4] = rgb[j]; rgba[i * 4 + 1] = rgb[j + 1]; rgba[i * 4 + 2] = rgb[j + 2]; rgba[i * 4 + 3] = 255;
        }
        var bmp = new SKBitmap(w, h, SKColorType.Rgba8888, SKAlphaType.Opaque);
        Marshal.Copy(rgba, 0, bmp.GetPixels(), rgba.Length);
        return bmp;
    }

    static void WriteJpeg(SKBitmap bmp, string path)
    {
        using var img = SKImage.FromBitmap(bmp);
        using var data = img.Encode(SKEncodedImageFormat.Jpeg, 90) ?? throw new IOException($"cannot encode {path} as JPEG");
        Write(data, path);
    }

    static void WritePng(SKBitmap bmp, string path)
    {
        using var img = SKImage.FromBitmap(bmp);
        using var data = img.Encode(SKEncodedImageFormat.Png, 100) ?? throw new IOException($"cannot encode {path} as PNG");
        Write(data, path);
    }

    static void Write(SKData data, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var f = File.Create(path);
        data.SaveTo(f);
    }
}
