using System.Globalization;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Data;

/// <summary>One object drawn by the synthesiser: class, pixel box (x1, y1, x2, y2 exclusive) and RGB colour.</summary>
public sealed record SynthObject(int Class, int X1, int Y1, int X2, int Y2, byte R, byte G, byte B);

public sealed record SynthOptions(string Out, int Train = 800, int Val = 200, int ImgSize = 128, int Seed = 0, int MaxObjects = 4);

/// <summary>Writes a real detection dataset: coloured shapes (rectangle, ellipse, triangle, cross) on textured grey
/// backgrounds, PNG (and every fourth image JPEG), YOLO labels and data.yaml. Boxes are the shapes' exact pixel
/// extents; objects never overlap, so every label is fully visible.</summary>
public static class Synth
{
    public static readonly string[] ClassNames = ["rectangle", "ellipse", "triangle", "cross"];

    public static string Write(SynthOptions o)
    {
        if (o.ImgSize < 32) throw new ArgumentException($"--imgsz {o.ImgSize}: synth images need at least 32 px");
        var root = Path.GetFullPath(o.Out);
        foreach (var (split, n, offset) in new[] { ("train", o.Train, 0), ("val", o.Val, 1_000_000) })
        {
            var imgDir = Path.Combine(root, "images", split);
            var labDir = Path.Combine(root, "labels", split);
            Directory.CreateDirectory(imgDir);
            Directory.CreateDirectory(labDir);
            Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            {
                var rng = new Random(SeedMix.Mix(o.Seed, offset + i));
                var (pixels, w, h, objects) = Render(rng, o.ImgSize, o.MaxObjects);
                var name = $"{split}_{i:D5}";
                var jpeg = i % 4 == 3;
                var path = Path.Combine(imgDir, name + (jpeg ? ".jpg" : ".png"));
                using (var t = tensor(pixels, [h, w, 3]))
                {
                    if (jpeg) image.write_jpeg(t, path, 95);
                    else image.write_png(t, path);
                }
                File.WriteAllLines(Path.Combine(labDir, name + ".txt"), objects.Select(b => string.Format(CultureInfo.InvariantCulture,
                    "{0} {1:F6} {2:F6} {3:F6} {4:F6}", b.Class, (b.X1 + b.X2) / 2.0 / w, (b.Y1 + b.Y2) / 2.0 / h, (b.X2 - b.X1) / (double)w, (b.Y2 - b.Y1) / (double)h)));
            });
        }
        var yaml = Path.Combine(root, "data.yaml");
        File.WriteAllText(yaml, $"# written by yolosweep data synth (seed {o.Seed})\npath: {root}\ntrain: images/train\nval: images/val\nnames:\n"
            + string.Concat(ClassNames.Select((c, i) => $"  {i}: {c}\n")));
        return yaml;
    }

    /// <summary>Draws one image: returns HWC RGB bytes, its size and the objects.</summary>
    public static (byte[] pixels, int w, int h, List<SynthObject> objects) Render(Random rng, int size, int maxObjects)
    {
        var w = rng.Next(size * 3 / 4, size + 1);
        var h = rng.Next(size * 3 / 4, size + 1);
        var px = new byte[w * h * 3];
        // texture: low-saturation grey noise + diagonal stripes, so that objects (saturated colours) stand out
        var baseGrey = rng.Next(60, 190);
        var period = rng.Next(6, 16);
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var stripe = ((x + y) / period) % 2 == 0 ? 12 : -12;
                var g = Math.Clamp(baseGrey + stripe + rng.Next(-10, 11), 0, 255);
                var i = (y * w + x) * 3;
                px[i] = (byte)g; px[i + 1] = (byte)Math.Clamp(g + rng.Next(-3, 4), 0, 255); px[i + 2] = (byte)Math.Clamp(g + rng.Next(-3, 4), 0, 255);
            }
        var objects = new List<SynthObject>();
        var count = rng.Next(1, maxObjects + 1);
        for (var attempt = 0; attempt < 50 && objects.Count < count; attempt++)
        {
            var bw = rng.Next(Math.Max(8, size / 8), Math.Max(9, size / 2));
            var bh = rng.Next(Math.Max(8, size / 8), Math.Max(9, size / 2));
            if (bw >= w || bh >= h) continue;
            var x1 = rng.Next(0, w - bw);
            var y1 = rng.Next(0, h - bh);
            var (x2, y2) = (x1 + bw, y1 + bh);
            if (objects.Any(b => x1 < b.X2 + 2 && b.X1 < x2 + 2 && y1 < b.Y2 + 2 && b.Y1 < y2 + 2)) continue;
            var cls = rng.Next(ClassNames.Length);
            var (r, g, b) = SaturatedColour(rng);
            Draw(px, w, cls, x1, y1, x2, y2, r, g, b);
            objects.Add(new SynthObject(cls, x1, y1, x2, y2, r, g, b));
        }
        return (px, w, h, objects);
    }

    static (byte, byte, byte) SaturatedColour(Random rng)
    {
        // one channel high, one low, one anywhere: saturation ≥ ~0.6, far from the grey background
        var c = new int[3];
        var hi = rng.Next(3);
        var lo = (hi + 1 + rng.Next(2)) % 3;
        c[hi] = rng.Next(200, 256);
        c[lo] = rng.Next(0, 50);
        c[3 - hi - lo] = rng.Next(0, 256);
        return ((byte)c[0], (byte)c[1], (byte)c[2]);
    }

    /// <summary>Every shape touches all four sides of its box, so the box is its exact extent.</summary>
    static void Draw(byte[] px, int w, int cls, int x1, int y1, int x2, int y2, byte r, byte g, byte b)
    {
        var (bw, bh) = (x2 - x1, y2 - y1);
        for (var y = y1; y < y2; y++)
            for (var x = x1; x < x2; x++)
            {
                var u = (x - x1 + 0.5) / bw;  // 0..1 inside the box
                var v = (y - y1 + 0.5) / bh;
                var inside = cls switch
                {
                    0 => true,
                    1 => Math.Pow(u - 0.5, 2) + Math.Pow(v - 0.5, 2) <= 0.25 + 0.5 / Math.Min(bw, bh),
                    2 => Math.Abs(u - 0.5) <= v / 2 + 0.5 / bw,
                    _ => Math.Abs(u - 0.5) < 0.17 || Math.Abs(v - 0.5) < 0.17,
                };
                if (!inside) continue;
                var i = (y * w + x) * 3;
                px[i] = r; px[i + 1] = g; px[i + 2] = b;
            }
    }
}
