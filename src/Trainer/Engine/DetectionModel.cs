using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Engine;

/// <summary>Which loss and decoding a detector's head needs.</summary>
public enum HeadKind { V5Anchors, V8Dfl, V10Dual }

/// <summary>What the trainer needs from a detector: the module (parameters, train/eval), raw head outputs per
/// level and the head's geometry. v5: (b, na, h, w, 5+nc) per level; v8: (b, 4·reg_max+nc, h, w) per level;
/// v10: the one2many levels followed by the one2one levels.</summary>
public interface IDetectionModel : IDisposable
{
    nn.Module Module { get; }
    HeadKind Head { get; }
    int Nc { get; }
    double[] Strides { get; }
    /// <summary>v5 anchors in grid units [level][anchor][w, h]; null for anchor-free heads.</summary>
    float[][][]? AnchorsGrid { get; }
    int RegMax { get; }
    Tensor[] Forward(Tensor images);
}

/// <summary>A model to build: name, scale, number of classes, knobs (as `yolosweep train --knob k=v`).</summary>
public sealed record ModelRequest(string Name, string Scale, int Nc, IReadOnlyDictionary<string, string> Knobs);

/// <summary>Model constructors by name. The trainer ships tiny detectors for tests and demos; the model zoo
/// registers yolov5/yolov8/yolov10 and their variants here.</summary>
public static class ModelCatalog
{
    static readonly Dictionary<string, Func<ModelRequest, IDetectionModel>> Builders = new(StringComparer.OrdinalIgnoreCase)
    {
        ["tiny-v5"] = r => new TinyDetector(HeadKind.V5Anchors, r.Nc, Width(r)),
        ["tiny-v8"] = r => new TinyDetector(HeadKind.V8Dfl, r.Nc, Width(r)),
        ["tiny-v10"] = r => new TinyDetector(HeadKind.V10Dual, r.Nc, Width(r)),
    };

    static int Width(ModelRequest r) => r.Scale switch { "n" => 16, "s" => 32, "m" => 48, _ => 16 };

    public static void Register(string name, Func<ModelRequest, IDetectionModel> build)
    {
        lock (Builders) Builders[name] = build;
    }

    public static IReadOnlyCollection<string> Names { get { lock (Builders) return Builders.Keys.Order().ToList(); } }

    public static IDetectionModel Build(ModelRequest r)
    {
        Func<ModelRequest, IDetectionModel>? b;
        lock (Builders) Builders.TryGetValue(r.Name, out b);
        if (b is null) throw new ArgumentException($"unknown model '{r.Name}'; known: {string.Join(", ", Names)}");
        return b(r);
    }
}
