using System.Globalization;
using YoloSweep.Trainer.Data;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

public class DataTests
{
    static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "ys-trainer-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    [Fact]
    public void Synth_writes_images_whose_pixels_match_their_labels()
    {
        var dir = TempDir();
        var yaml = Synth.Write(new SynthOptions(dir, Train: 12, Val: 4, ImgSize: 96, Seed: 3));
        var cfg = DatasetConfig.Load(yaml);
        Assert.Equal(Synth.ClassNames, cfg.Names);
        var pngs = Directory.GetFiles(Path.Combine(dir, "images", "train"), "*.png");
        Assert.True(pngs.Length >= 8);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(dir, "images", "train"), "*.jpg"));
        var checkedBoxes = 0;
        foreach (var png in pngs)
        {
            using var img = image.read(png);
            var (h, w) = ((int)img.size(0), (int)img.size(1));
            var px = img.contiguous().ToArray<byte>();
            foreach (var line in File.ReadAllLines(LabelFile.LabelPathFor(png)))
            {
                var v = line.Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
                var (x1, y1) = ((int)Math.Round((v[1] - v[3] / 2) * w), (int)Math.Round((v[2] - v[4] / 2) * h));
                var (x2, y2) = ((int)Math.Round((v[1] + v[3] / 2) * w), (int)Math.Round((v[2] + v[4] / 2) * h));
                bool Saturated(int x, int y)
                {
                    var i = (y * w + x) * 3;
                    int r = px[i], g = px[i + 1], b = px[i + 2];
                    return Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b)) > 120;
                }
                // the shape reaches every side of its box: each border row/column has shape pixels …
                Assert.Contains(Enumerable.Range(x1, x2 - x1), x => Saturated(x, y1));
                Assert.Contains(Enumerable.Range(x1, x2 - x1), x => Saturated(x, y2 - 1));
                Assert.Contains(Enumerable.Range(y1, y2 - y1), y => Saturated(x1, y));
                Assert.Contains(Enumerable.Range(y1, y2 - y1), y => Saturated(x2 - 1, y));
                // … and nothing outside the box is shape-coloured (the background is grey texture)
                if (y1 > 0) Assert.DoesNotContain(Enumerable.Range(x1, x2 - x1), x => Saturated(x, y1 - 1));
                if (x2 < w) Assert.DoesNotContain(Enumerable.Range(y1, y2 - y1), y => Saturated(x2, y));
                // the centre of a rectangle (class 0) is the shape colour
                if (v[0] == 0) Assert.True(Saturated((x1 + x2) / 2, (y1 + y2) / 2));
                checkedBoxes++;
            }
        }
        Assert.True(checkedBoxes > 10);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Corrupt_and_missing_images_and_bad_label_lines_are_skipped_and_counted()
    {
        var dir = TempDir();
        var yaml = Synth.Write(new SynthOptions(dir, Train: 8, Val: 2, ImgSize: 64, Seed: 1));
        var train = Path.Combine(dir, "images", "train");
        File.WriteAllBytes(Path.Combine(train, "broken.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3, 4, 5]);
        File.WriteAllText(Path.Combine(train, "truncated.jpg"), "not a jpeg at all");
        var first = Directory.GetFiles(train, "train_*.png").Order().First();
        File.AppendAllText(LabelFile.LabelPathFor(first), "7 0.5 0.5 0.1 0.1\n0 0.5 nan 0.1 0.1\n1 0.5\n2 1.5 0.5 0.2 0.2\n");
        var list = Path.Combine(dir, "list.txt");
        File.WriteAllLines(list, [.. Directory.GetFiles(train).Order(), Path.Combine(train, "does_not_exist.png")]);
        var cfg = DatasetConfig.Load(yaml);
        using var ds = YoloDataset.Open([list], cfg.Nc, 64);
        Assert.Equal(8, ds.Count);
        Assert.Equal(2, ds.Health.CorruptImages);
        Assert.Equal(1, ds.Health.MissingImages);
        Assert.Equal(4, ds.Health.BadLabelLines);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Bad_dataset_path_names_the_path()
    {
        var e = Assert.Throws<DatasetException>(() => DatasetConfig.Load("/nonexistent/where/data.yaml"));
        Assert.Contains("/nonexistent/where/data.yaml", e.Message);
        var dir = TempDir();
        File.WriteAllText(Path.Combine(dir, "d.yaml"), "path: .\ntrain: images/nothere\nval: images/nothere\nnames: [a]\n");
        var cfg = DatasetConfig.Load(Path.Combine(dir, "d.yaml"));
        var e2 = Assert.Throws<DatasetException>(() => YoloDataset.Open(cfg.Train, 1, 64));
        Assert.Contains(Path.Combine(dir, "images", "nothere"), e2.Message);
    }

    [Fact]
    public void Loader_batches_keep_boxes_on_their_objects_and_epochs_are_reproducible()
    {
        var dir = TempDir();
        var yaml = Synth.Write(new SynthOptions(dir, Train: 10, Val: 2, ImgSize: 64, Seed: 2));
        var cfg = DatasetConfig.Load(yaml);
        using var ds = YoloDataset.Open(cfg.Train, cfg.Nc, 64);
        var loader = new DetectionLoader(ds, 4, train: true, new AugmentOptions(), workers: 2, prefetch: 2, seed: 5);
        var a = loader.Epoch(0, mosaic: true).Select(b => { var r = (b.Images.sum().item<float>(), b.Targets.clone()); b.Dispose(); return r; }).ToList();
        var b2 = loader.Epoch(0, mosaic: true).Select(b => { var r = (b.Images.sum().item<float>(), b.Targets.clone()); b.Dispose(); return r; }).ToList();
        Assert.Equal(3, a.Count);
        for (var i = 0; i < a.Count; i++)
        {
            Assert.Equal(a[i].Item1, b2[i].Item1);
            Assert.True(a[i].Item2.equal(b2[i].Item2));
        }
        // without augmentation, every target box centre lies on a saturated (shape) pixel for rectangles
        var plain = new DetectionLoader(ds, 10, train: false, new AugmentOptions(), workers: 1);
        using var batch = plain.Epoch(0, mosaic: false).Single();
        Assert.Equal(new long[] { 10, 3, 64, 64 }, batch.Images.shape);
        var imgs = batch.Images.contiguous().ToArray<float>();
        var t = batch.Targets.ToArray<float>();
        var rects = 0;
        for (var k = 0; k < t.Length / 6; k++)
        {
            if (t[k * 6 + 1] != 0) continue;
            var (im, cx, cy) = ((int)t[k * 6], (int)(t[k * 6 + 2] * 64), (int)(t[k * 6 + 3] * 64));
            var c = Enumerable.Range(0, 3).Select(ch => imgs[((im * 3 + ch) * 64 + cy) * 64 + cx]).ToArray();
            Assert.True(c.Max() - c.Min() > 0.3f, $"rectangle centre not on the shape: {string.Join(",", c)}");
            rects++;
        }
        Assert.True(rects > 0);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Hsv_with_unit_gains_is_identity_and_letterbox_pads_with_114()
    {
        using var scope = NewDisposeScope();
        var img = rand([3, 20, 30]) * 255;
        var same = Augment.Hsv(img, new AugmentOptions(HsvH: 0, HsvS: 0, HsvV: 0), new Random(1));
        Assert.True(Fixtures.MaxAbsError(same, img) < 1e-3);
        var (boxed, r, pw, ph) = Augment.Letterbox(img, 60);
        Assert.Equal(new long[] { 3, 60, 60 }, boxed.shape);
        Assert.Equal(2.0, r);
        Assert.Equal(10, ph);
        Assert.Equal(114f, boxed.select(1, 0).select(1, 0).select(0, 0).item<float>());
    }
}
