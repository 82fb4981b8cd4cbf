using Serilog;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Trainer.Data;

/// <summary>What was skipped while opening a dataset; reported once, never fatal.</summary>
public sealed record DataHealth(int Images, int MissingImages, int CorruptImages, int BadLabelLines, int Backgrounds)
{
    public override string ToString() =>
        $"{Images} images, {Backgrounds} backgrounds, {MissingImages} missing and {CorruptImages} corrupt images skipped, {BadLabelLines} bad label lines skipped";
}

/// <summary>One usable image and its labels: rows [cls, x, y, w, h] normalised.</summary>
public sealed record Sample(string ImagePath, float[][] Labels);

/// <summary>A YOLO-format split: images verified by decoding once (corrupt and missing files are skipped and
/// counted), labels parsed, and optionally every image kept in RAM resized to imgsz (as yolov5 --cache ram).</summary>
public sealed class YoloDataset : IDisposable
{
    readonly Tensor?[] _cache;
    readonly (int h0, int w0)[] _shapes;
    public IReadOnlyList<Sample> Samples { get; }
    public DataHealth Health { get; }
    public int ImgSize { get; }
    public int Nc { get; }
    public int Count => Samples.Count;

    YoloDataset(List<Sample> samples, (int, int)[] shapes, Tensor?[] cache, DataHealth health, int imgsz, int nc)
    {
        Samples = samples; _shapes = shapes; _cache = cache; Health = health; ImgSize = imgsz; Nc = nc;
    }

    public static YoloDataset Open(IReadOnlyList<string> sources, int nc, int imgsz, bool cacheRam = true, ILogger? log = null, string split = "train")
    {
        var images = sources.SelectMany(LabelFile.ListImages).ToList();
        if (images.Count == 0) throw new DatasetException($"no images found in {string.Join(", ", sources)}");
        var ok = new bool[images.Count];
        var shapes = new (int, int)[images.Count];
        var cache = new Tensor?[images.Count];
        var labels = new float[images.Count][][];
        int missing = 0, corrupt = 0, badLines = 0;
        Parallel.For(0, images.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, i =>
        {
            if (!File.Exists(images[i])) { Interlocked.Increment(ref missing); return; }
            Tensor decoded;
            try { decoded = image.read(images[i]); }
            catch (TorchException) { Interlocked.Increment(ref corrupt); return; }
            using (decoded)
            {
                shapes[i] = ((int)decoded.size(0), (int)decoded.size(1));
                if (cacheRam) cache[i] = ResizeToLongSide(decoded, imgsz).DetachFromDisposeScope();
            }
            var (rows, bad) = LabelFile.Read(LabelFile.LabelPathFor(images[i]), nc);
            Interlocked.Add(ref badLines, bad);
            labels[i] = rows.ToArray();
            ok[i] = true;
        });
        var samples = new List<Sample>();
        var keptShapes = new List<(int, int)>();
        var keptCache = new List<Tensor?>();
        for (var i = 0; i < images.Count; i++)
        {
            if (!ok[i]) continue;
            samples.Add(new Sample(images[i], labels[i]));
            keptShapes.Add(shapes[i]);
            keptCache.Add(cache[i]);
        }
        var health = new DataHealth(samples.Count, missing, corrupt, badLines, samples.Count(s => s.Labels.Length == 0));
        if (missing + corrupt + badLines > 0) log?.Warning("Dataset {Split}: {Health}", split, health.ToString());
        else log?.Information("Dataset {Split}: {Health}", split, health.ToString());
        if (samples.Count == 0) throw new DatasetException($"no readable images in {string.Join(", ", sources)} ({health})");
        return new YoloDataset(samples, keptShapes.ToArray(), keptCache.ToArray(), health, imgsz, nc);
    }

    /// <summary>Original (h0, w0) of image i.</summary>
    public (int h0, int w0) Shape(int i) => _shapes[i];

    /// <summary>yolov5 load_image: float (3, h, w) in 0..255 with the long side resized to imgsz.</summary>
    public Tensor LoadResized(int i)
    {
        if (_cache[i] is { } c) return ToChwFloat(c);
        using var decoded = image.read(Samples[i].ImagePath);
        using var resized = ResizeToLongSide(decoded, ImgSize);
        return ToChwFloat(resized);
    }

    static Tensor ToChwFloat(Tensor hwc)
    {
        using var p = hwc.permute(2, 0, 1);
        return p.to(ScalarType.Float32);
    }

    /// <summary>uint8 HWC → uint8 HWC with max(h, w) = imgsz (ceil, as yolov5 v7.0).</summary>
    static Tensor ResizeToLongSide(Tensor hwc, int imgsz)
    {
        var (h0, w0) = (hwc.size(0), hwc.size(1));
        var r = imgsz / (double)Math.Max(h0, w0);
        if (r == 1) return hwc.clone();
        var (h, w) = ((long)Math.Ceiling(h0 * r), (long)Math.Ceiling(w0 * r));
        using var scope = NewDisposeScope();
        var x = hwc.permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float32);
        var y = F.interpolate(x, size: [h, w], mode: "bilinear", align_corners: false);
        return y.squeeze(0).permute(1, 2, 0).round().clamp(0, 255).to(ScalarType.Byte).contiguous().MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var c in _cache) c?.Dispose();
    }
}
