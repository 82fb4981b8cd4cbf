using System.Text.Json;
using YoloSweep.Models;
using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using Xunit.Abstractions;

namespace YoloSweep.Models.Tests;

/// <summary>Locates the repository's test data (tests/data/fixtures) from the test binary.</summary>
public static class Repo
{
    public static string Root { get; } = Find();
    public static string Fixture(string name) => Path.Combine(Root, "tests", "data", "fixtures", name);

    static string Find()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "YoloSweep.sln"))) return d.FullName;
        throw new DirectoryNotFoundException("repository root (YoloSweep.sln) not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Builds the fixture's model, applies the generator init, runs eval and train forwards on the stored inputs,
/// and returns (name → ours) for every stored output.</summary>
public static class Parity
{
    public static (Dictionary<string, Tensor> ours, Dictionary<string, Tensor> theirs) Run(string fixture, string model, string scale, ITestOutputHelper? log = null)
    {
        var json = Repo.Fixture(fixture + ".json");
        var theirs = safetensors.load_file(Repo.Fixture(fixture + ".safetensors"));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var nc = doc.RootElement.GetProperty("nc").GetInt64();
        var m = ModelCatalog.Build(model, scale, nc);
        m.SetDropPath(0);
        GeneratorInit.Apply(m, json);
        if (!theirs.ContainsKey("input.train"))
        {
            using var g = new Generator(7);
            using var first = rand([1, 3, 160, 160], g);
            theirs["input.train"] = rand([2, 3, 160, 160], g);
        }
        var checks = theirs.Keys.Where(k => k.StartsWith("check.")).ToDictionary(k => k,
            k => m.state_dict().First(e => e.name == k["check.".Length..]).value.detach().clone());
        var ours = ModelRunner.Run(m, theirs["input.eval"], train: false);
        foreach (var (k, v) in ModelRunner.Run(m, theirs["input.train"], train: true)) ours[k] = v;
        foreach (var (k, v) in checks) ours[k] = v;
        return (ours, theirs);
    }

    /// <summary>Max |ours − theirs| − tolerance over all compared entries; reports the worst per tensor.</summary>
    public static List<string> Compare(Dictionary<string, Tensor> ours, Dictionary<string, Tensor> theirs, ITestOutputHelper log,
        double abs = 1e-4, double rel = 1e-5, double boxesAbs = 3e-4, double trainDeepAbs = 1e-3)
    {
        var failures = new List<string>();
        var compared = 0;
        double worst = 0;
        foreach (var (name, want) in theirs)
        {
            if (name.StartsWith("input.")) continue;
            if (!ours.TryGetValue(name, out var got)) { failures.Add($"{name}: missing from our outputs"); continue; }
            if (!got.shape.SequenceEqual(want.shape)) { failures.Add($"{name}: shape [{string.Join(",", got.shape)}] vs [{string.Join(",", want.shape)}]"); continue; }
            using var d = (got.to(ScalarType.Float64) - want.to(ScalarType.Float64)).abs();
            using var tolT = want.to(ScalarType.Float64).abs() * rel;
            var a = name.EndsWith(".y") ? boxesAbs : name.StartsWith("train.") && !name.Contains("bn_after") ? trainDeepAbs : abs;
            using var over = d - (tolT + a);
            var maxOver = over.max().item<double>();
            var maxDiff = d.max().item<double>();
            worst = Math.Max(worst, maxDiff);
            compared++;
            if (name.StartsWith("check.") && maxDiff != 0) failures.Add($"{name}: generator init differs (max {maxDiff:g3})");
            if (maxOver > 0) failures.Add($"{name}: max |diff| {maxDiff:g4} exceeds tolerance");
            if (!name.Contains("bn_after")) log.WriteLine($"{name,-28} max|diff| {maxDiff:g4}");
        }
        log.WriteLine($"compared {compared} tensors, worst |diff| {worst:g4}");
        return failures;
    }
}

public class FixtureParityTests(ITestOutputHelper log)
{
    void Check(string fixture, string model)
    {
        var (ours, theirs) = Parity.Run(fixture, model, "n", log);
        var failures = Parity.Compare(ours, theirs, log);
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    [Fact] public void Yolov5n_matches_pytorch_fixture() => Check("yolov5_n", "yolov5");
    [Fact] public void C3_Faster_n_matches_pytorch_fixture() => Check("C3_Faster_n", "yolov5-c3faster");
    [Fact] public void C3_AKConv_n_matches_pytorch_fixture() => Check("C3_AKConv_n", "yolov5-akconv");
    [Fact] public void Yolov8n_matches_pytorch_fixture() => Check("yolov8n", "yolov8");
    [Fact] public void Yolov10n_matches_pytorch_fixture() => Check("yolov10n", "yolov10");
}
