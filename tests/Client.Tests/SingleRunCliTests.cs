using System.Text.Json;
using YoloSweep.Testing;

namespace YoloSweep.Client.Tests;

/// <summary>`train`, `val` and `predict` as a user runs them (real processes, a real tiny dataset and model): run
/// folders numbered as ultralytics numbers them, weights that are enough on their own, one-line errors.</summary>
public sealed class SingleRunCliTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("yolosweep-single-").FullName;

    static string TinyModel(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "tests", "data", "models", name + ".yaml"))) return Path.Combine(d.FullName, "tests", "data", "models", name + ".yaml");
        throw new FileNotFoundException($"tests/data/models/{name}.yaml not found above {AppContext.BaseDirectory}");
    }

    async Task<string> Ok(params string[] args)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(_dir, args, timeout: TimeSpan.FromMinutes(3));
        Assert.True(code == 0, $"yolosweep {string.Join(' ', args)} exited {code}\n{stdout}\n{stderr}");
        return stdout;
    }

    /// <summary>Fails with exit code 1 and one "error: …" line on stderr.</summary>
    async Task<string> Refused(params string[] args)
    {
        var (code, stdout, stderr) = await CliProcess.RunAsync(_dir, args);
        Assert.True(code == 1, $"yolosweep {string.Join(' ', args)} exited {code}\n{stdout}\n{stderr}");
        var lines = stderr.Trim().Split('\n');
        Assert.True(lines.Length == 1 && lines[0].StartsWith("error: "), $"not one error line:\n{stderr}");
        Assert.True(stderr.Length < 400, $"{stderr.Length} characters:\n{stderr}");
        return lines[0];
    }

    string[] Train(params string[] extra) =>
        ["train", "--model", TinyModel("tiny-v8"), "--data", "data/data.yaml", "--epochs", "1", "--imgsz", "64", "--batch", "8", "--workers", "1", .. extra];

    [Fact]
    public async Task Train_numbers_its_runs_and_val_and_predict_work_from_the_weights_alone()
    {
        await Ok("data", "synth", "--out", "data", "--train", "16", "--val", "8", "--imgsz", "64");
        var first = await Ok(Train());
        Assert.Contains("Results saved to runs/train ", first);
        Assert.Contains("all ", first);  // the per-class table
        foreach (var name in new[] { "rectangle", "ellipse", "triangle", "cross" }) Assert.Contains(name, first);
        Assert.Contains("Results saved to runs/train2 ", await Ok(Train()));
        Assert.Contains("Results saved to runs/train ", await Ok(Train("--exist-ok")));
        Assert.Contains("Results saved to runs/mine ", await Ok(Train("--name", "mine")));
        Assert.False(Directory.Exists(Path.Combine(_dir, "runs", "train3")));
        Assert.True(new FileInfo(Path.Combine(_dir, "runs", "train2", "train.log")).Length > 200);

        // val: the model, its classes and image size come from the weights file
        var weights = "runs/train2/weights/best.safetensors";
        var json = JsonDocument.Parse(await Ok("val", "--weights", weights, "--data", "data/data.yaml", "--json")).RootElement;
        Assert.Equal(8, json.GetProperty("images").GetInt32());
        Assert.Equal("tiny-v8-n", json.GetProperty("model").GetString());
        Assert.InRange(json.GetProperty("map50_95").GetDouble(), 0, 1);
        Assert.True(json.GetProperty("val_losses").GetProperty("box_loss").GetDouble() > 0);
        Assert.True(File.Exists(Path.Combine(_dir, "runs", "val", "confusion_matrix.png")));
        var table = await Ok("val", "--weights", weights, "--data", "data/data.yaml");
        Assert.Contains("Results saved to runs/val2", table);
        Assert.Contains("mAP50-95", table);

        // predict: every image of the folder, boxes inside the original image, drawn, as YOLO txt and as JSON
        var predicted = await Ok("predict", "--weights", weights, "--source", "data/images/val", "--conf", "0.001", "--save", "--save-txt", "--save-conf");
        Assert.Contains("image 8/8 ", predicted);
        Assert.Contains("Results saved to runs/predict", predicted);
        var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "runs", "predict", "predictions.json"))).RootElement;
        var images = doc.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal(8, images.Count);
        var boxes = 0;
        foreach (var im in images)
        {
            var (w, h) = (im.GetProperty("width").GetDouble(), im.GetProperty("height").GetDouble());
            var name = Path.GetFileName(im.GetProperty("image").GetString()!);
            var drawn = Path.Combine(_dir, "runs", "predict", name);
            Assert.True(File.Exists(drawn), $"{drawn} missing");
            var txt = File.ReadAllLines(Path.Combine(_dir, "runs", "predict", "labels", Path.ChangeExtension(name, ".txt")));
            var list = im.GetProperty("boxes").EnumerateArray().ToList();
            Assert.Equal(list.Count, txt.Length);
            Assert.All(txt, l => Assert.Equal(6, l.Split(' ').Length));  // class x y w h conf
            foreach (var b in list)
            {
                var xyxy = b.GetProperty("box").EnumerateArray().Select(v => v.GetDouble()).ToArray();
                Assert.True(xyxy[0] >= 0 && xyxy[1] >= 0 && xyxy[2] <= w && xyxy[3] <= h && xyxy[0] <= xyxy[2] && xyxy[1] <= xyxy[3], $"{name}: box [{string.Join(", ", xyxy)}] outside {w}x{h}");
                Assert.InRange(b.GetProperty("confidence").GetDouble(), 0.001, 1);
                boxes++;
            }
        }
        Assert.True(boxes > 0, "no boxes at conf 0.001");
        var one = await Ok("predict", "--weights", weights, "--source", "data/images/val/val_00000.png");
        Assert.Contains("image 1/1 ", one);
        Assert.Contains("Results saved to runs/predict2", one);
    }

    [Fact]
    public async Task Resume_refuses_another_model_and_a_finished_run_in_one_line()
    {
        await Ok("data", "synth", "--out", "data", "--train", "8", "--val", "4", "--imgsz", "64");
        await Ok(Train());
        var other = await Refused(["train", "--resume", "--model", TinyModel("tiny-v5"), "--data", "data/data.yaml", "--epochs", "1", "--imgsz", "64", "--batch", "8"]);
        Assert.Contains("--resume: runs/train was trained with model", other);
        Assert.Contains("tiny-v8.yaml (now", other);
        var finished = await Refused("train", "--resume");  // the rest comes from runs/train/args.yaml
        Assert.Contains("finished (1 of 1 epochs); nothing to resume", finished);
        Assert.Contains("--resume: runs/other has no checkpoint", await Refused("train", "--resume", "--name", "other"));
        Assert.Contains("--resume: no run under elsewhere/ has a checkpoint", await Refused("train", "--resume", "--project", "elsewhere"));
    }

    [Fact]
    public async Task Bad_weights_sources_and_missing_options_are_one_line_errors()
    {
        Assert.Contains("--model is required", await Refused("train", "--data", "d.yaml"));
        Assert.Contains("file not found", await Refused("val", "--weights", "nope.safetensors", "--data", "d.yaml"));
        Assert.Contains("no such file or folder", await Refused("predict", "--weights", "nope.safetensors", "--source", "nowhere"));
        Assert.Contains("--imgsz 100: must be a multiple of 32", await Refused("train", "--model", "yolov8", "--data", "d.yaml", "--imgsz", "100"));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
