using YoloSweep.Models;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using Xunit.Abstractions;

namespace YoloSweep.Models.Tests;

/// <summary>`model run`: generator init or PyTorch-named weights in, fixture-named outputs out.</summary>
public class ModelRunTests(ITestOutputHelper log)
{
    [Fact]
    public void Run_with_generator_init_writes_the_fixture_outputs()
    {
        var dir = Directory.CreateTempSubdirectory("ys-run-");
        var evalOut = Path.Combine(dir.FullName, "eval.safetensors");
        var trainOut = Path.Combine(dir.FullName, "train.safetensors");
        var fixture = Repo.Fixture("yolov8n.safetensors");
        var init = "generator:" + Repo.Fixture("yolov8n.json");
        ModelRun.Execute(new ModelRunRequest("yolov8", "n", 3, null, null, null, init, fixture, "input.eval", evalOut, false));
        var names = ModelRun.Execute(new ModelRunRequest("yolov8", "n", 3, null, null, null, init, fixture, "input.train", trainOut, true));
        Assert.Contains("train.bn_after.model.0.bn.running_var", names);
        var theirs = safetensors.load_file(fixture);
        var ours = safetensors.load_file(evalOut);
        foreach (var (k, v) in safetensors.load_file(trainOut)) ours[k] = v;
        var failures = Parity.Compare(ours, theirs.Where(kv => !kv.Key.StartsWith("check.")).ToDictionary(kv => kv.Key, kv => kv.Value), log);
        Assert.Empty(failures);
        dir.Delete(true);
    }

    [Fact]
    public void Weights_load_by_pytorch_name_after_removing_the_prefix_and_a_mismatch_names_both()
    {
        var dir = Directory.CreateTempSubdirectory("ys-w-");
        var w = Path.Combine(dir.FullName, "w.safetensors");
        using (var m = ModelCatalog.Build("yolov5", "n", 3))
        {
            GeneratorInit.Apply(m, Repo.Fixture("yolov5_n.json"));
            safetensors.save_file(m.state_dict().Select(e => ("ema." + e.name, e.value)), w);
        }
        var fixture = Repo.Fixture("yolov5_n.safetensors");
        var o = Path.Combine(dir.FullName, "o.safetensors");
        ModelRun.Execute(new ModelRunRequest("yolov5", "n", 3, null, w, "ema.", null, fixture, "input.eval", o, false));
        var ours = safetensors.load_file(o);
        var theirs = safetensors.load_file(fixture);
        Assert.True(ours["eval.y"].equal(theirs["eval.y"]));

        var e = Assert.Throws<ArgumentException>(() =>
            ModelRun.Execute(new ModelRunRequest("yolov5", "s", 3, null, w, "ema.", null, fixture, "input.eval", o, false)));
        Assert.Contains("'model.0.conv.weight': checkpoint shape [16, 3, 6, 6], model shape [32, 3, 6, 6]", e.Message);
        var e2 = Assert.Throws<ArgumentException>(() =>
            ModelRun.Execute(new ModelRunRequest("yolov5-c3faster", "n", 3, null, null, null, "generator:" + Repo.Fixture("yolov5_n.json"), fixture, "input.eval", o, false)));
        Assert.Contains("fixture has 'model.2.m.0.cv1.conv.weight'", e2.Message);
        Assert.Contains("our model has 'model.2.m.0.mlp.0.conv.weight'", e2.Message);
        dir.Delete(true);
    }
}
