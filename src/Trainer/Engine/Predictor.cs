using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using YoloSweep.Models;
using YoloSweep.Torch;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Reports;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Engine;

/// <summary>One detected object in original image pixels.</summary>
public sealed record Detection(int Class, string Name, double Confidence, double X1, double Y1, double X2, double Y2);

/// <summary>The detections of one image and the time each stage took.</summary>
public sealed record ImagePrediction(string Path, int Width, int Height, IReadOnlyList<Detection> Boxes, double PreprocessMs, double InferenceMs,
    double PostprocessMs);

/// <summary>Inference on image files as ultralytics predict does: letterbox to imgsz (pad 114), one forward pass, NMS
/// (single label per box, conf 0.25, IoU 0.45) or the v10 one-to-one top-k, boxes mapped back to the original
/// image (scale_boxes). Writes annotated images, YOLO txt labels and predictions.json on request.</summary>
public sealed class Predictor(DetectionModel model, WeightsInfo info, Device device, int imgsz, double conf = 0.25, double iou = 0.45, int maxDet = 300)
{
    public int ImgSize => imgsz;

    /// <summary>The image files of a source: one image file, or every image under a folder (sorted).</summary>
    public static List<string> Sources(string source)
    {
        if (File.Exists(source))
            return LabelFile.IsImage(source) ? [Path.GetFullPath(source)]
                : throw new ArgumentException($"--source {source}: not an image (expected .jpg, .jpeg or .png, or a folder of them)");
        if (!Directory.Exists(source)) throw new ArgumentException($"--source {source}: no such file or folder");
        var images = LabelFile.ListImages(source);
        return images.Count > 0 ? images : throw new ArgumentException($"--source {source}: no .jpg, .jpeg or .png images in the folder");
    }

    /// <summary>Detects objects in one image; returns them and the decoded image (HWC uint8, for drawing).</summary>
    public (ImagePrediction Prediction, Tensor Image) Predict(string path)
    {
        var sw = Stopwatch.StartNew();
        var hwc = image.read(path);
        try
        {
            using var scope = NewDisposeScope();
            var (h0, w0) = ((int)hwc.size(0), (int)hwc.size(1));
            var chw = hwc.permute(2, 0, 1).to(ScalarType.Float32);
            var (boxed, ratio, padW, padH) = Augment.Letterbox(chw, imgsz, scaleUp: true);
            var x = (boxed / 255.0).unsqueeze(0).to(device);
            var pre = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            Tensor det;
            using (no_grad())
            {
                var decoded = Validator.Decoded(model, model.Forward(x));
                if (device.type == DeviceType.CUDA) cuda.synchronize(device.index);
                var infer = sw.Elapsed.TotalMilliseconds;
                sw.Restart();
                det = Validator.Postprocess(model.Family, decoded, conf, iou, multiLabel: false, maxDet)[0].cpu();
                if (model.Family == "v10") det = Validator.FilterConf(det, conf);  // top-k keeps low scores; NMS filtered already
                det = Validator.ScaleBoxes(det, ratio, padW, padH, w0, h0);
                var v = det.size(0) > 0 ? det.contiguous().ToArray<float>() : [];
                var boxes = Enumerable.Range(0, v.Length / 6).Select(k =>
                {
                    var c = (int)v[k * 6 + 5];
                    return new Detection(c, c < info.Names.Count ? info.Names[c] : c.ToString(CultureInfo.InvariantCulture), v[k * 6 + 4],
                        v[k * 6], v[k * 6 + 1], v[k * 6 + 2], v[k * 6 + 3]);
                }).ToList();
                return (new ImagePrediction(path, w0, h0, boxes, pre, infer, sw.Elapsed.TotalMilliseconds), hwc);
            }
        }
        catch
        {
            hwc.Dispose();
            throw;
        }
    }

    /// <summary>"2 rectangles, 1 ellipse" (ultralytics' per-image summary), or "(no detections)".</summary>
    public static string Summary(ImagePrediction p) =>
        p.Boxes.Count == 0 ? "(no detections)"
            : string.Join(", ", p.Boxes.GroupBy(b => b.Class).OrderBy(g => g.Key).Select(g => $"{g.Count()} {Plural(g.First().Name, g.Count())}"));

    static string Plural(string name, int n) =>
        n == 1 ? name : name.EndsWith('s') || name.EndsWith('x') || name.EndsWith("ch") || name.EndsWith("sh") ? name + "es" : name + "s";

    /// <summary>The image with its boxes drawn (same file name, under <paramref name="dir"/>).</summary>
    public static string SaveAnnotated(ImagePrediction p, Tensor hwc, IReadOnlyList<string> names, string dir)
    {
        var path = System.IO.Path.Combine(dir, System.IO.Path.GetFileName(p.Path));
        BatchImages.Annotate(hwc, p.Boxes.Select(b => new DrawBox(b.Class, (float)b.X1, (float)b.Y1, (float)b.X2, (float)b.Y2, (float)b.Confidence)).ToList(), names, path);
        return path;
    }

    /// <summary>labels/NAME.txt: one line per box, "class x_center y_center width height [conf]" normalised, as
    /// ultralytics save_txt (and a YOLO label file).</summary>
    public static string SaveTxt(ImagePrediction p, string dir, bool withConf)
    {
        var labels = System.IO.Path.Combine(dir, "labels");
        Directory.CreateDirectory(labels);
        var path = System.IO.Path.Combine(labels, System.IO.Path.GetFileNameWithoutExtension(p.Path) + ".txt");
        var inv = CultureInfo.InvariantCulture;
        File.WriteAllLines(path, p.Boxes.Select(b => string.Format(inv, "{0} {1:F6} {2:F6} {3:F6} {4:F6}", b.Class,
            (b.X1 + b.X2) / 2 / p.Width, (b.Y1 + b.Y2) / 2 / p.Height, (b.X2 - b.X1) / p.Width, (b.Y2 - b.Y1) / p.Height)
            + (withConf ? string.Format(inv, " {0:F5}", b.Confidence) : "")));
        return path;
    }

    /// <summary>predictions.json: every image with its size and boxes (class, name, confidence, xyxy pixels).</summary>
    public static void SaveJson(IEnumerable<ImagePrediction> predictions, WeightsInfo info, string path)
    {
        var doc = new
        {
            model = info.Title, weights_epoch = info.Epoch, yolosweep_version = info.Version,
            images = predictions.Select(p => new
            {
                image = p.Path, width = p.Width, height = p.Height,
                boxes = p.Boxes.Select(b => new
                {
                    @class = b.Class, name = b.Name, confidence = Math.Round(b.Confidence, 5),
                    box = new[] { Math.Round(b.X1, 2), Math.Round(b.Y1, 2), Math.Round(b.X2, 2), Math.Round(b.Y2, 2) },
                }),
            }),
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }
}
