using System.Text.Json.Nodes;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Tests;

/// <summary>The PyTorch parity fixtures under tests/data/fixtures (see their JSONs for how they were made).</summary>
static class Fixtures
{
    public static string Dir { get; } = FindDir();

    static string FindDir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "data", "fixtures");
            if (Directory.Exists(p)) return p;
        }
        throw new DirectoryNotFoundException("tests/data/fixtures not found above " + AppContext.BaseDirectory);
    }

    public static Dictionary<string, Tensor> Load(string name) => safetensors.load_file(Path.Combine(Dir, name + ".safetensors"));
    public static JsonNode Json(string name) => JsonNode.Parse(File.ReadAllText(Path.Combine(Dir, name + ".json")))!;

    /// <summary>The tiny model YAMLs (tests/data/models/NAME.yaml): real zoo modules, few thin layers.</summary>
    public static string TinyModel(string name) => Path.GetFullPath(Path.Combine(Dir, "..", "models", name + ".yaml"));

    public static string RepoRoot => Path.GetFullPath(Path.Combine(Dir, "..", "..", ".."));

    /// <summary>max |a-b| / max(|b|, floor) over all elements.</summary>
    public static double MaxRelError(Tensor a, Tensor b, double floor = 1e-12)
    {
        using var ad = a.detach().@double();
        using var bd = b.detach().@double();
        var x = ad.ToArray<double>();
        var y = bd.ToArray<double>();
        Assert.Equal(y.Length, x.Length);
        var m = 0.0;
        for (var i = 0; i < x.Length; i++) m = Math.Max(m, Math.Abs(x[i] - y[i]) / Math.Max(Math.Abs(y[i]), floor));
        return m;
    }

    public static double MaxAbsError(Tensor a, Tensor b)
    {
        using var ad = a.detach().@double();
        using var bd = b.detach().@double();
        var x = ad.ToArray<double>();
        var y = bd.ToArray<double>();
        Assert.Equal(y.Length, x.Length);
        var m = 0.0;
        for (var i = 0; i < x.Length; i++) m = Math.Max(m, Math.Abs(x[i] - y[i]));
        return m;
    }
}
