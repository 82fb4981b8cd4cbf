using YoloSweep.Contracts.Sweeps;

namespace YoloSweep.Contracts.Tests;

/// <summary>Issue 11 items 5 and 17: datasets confined to the shared folder and checked when a sweep is submitted.</summary>
public sealed class SharedFolderTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("ys-shared-").FullName;
    readonly string _shared;
    readonly string _outside;

    public SharedFolderTests()
    {
        _shared = Directory.CreateDirectory(Path.Combine(_root, "shared")).FullName;
        _outside = Directory.CreateDirectory(Path.Combine(_root, "outside")).FullName;
        Directory.CreateDirectory(Path.Combine(_shared, "data"));
        File.WriteAllText(Path.Combine(_shared, "data", "good.yaml"), "path: .\ntrain: images/train\nval: images/val\nnames: [a, b]\n");
        File.WriteAllText(Path.Combine(_shared, "data", "nonames.yaml"), "train: images/train\nval: images/val\n");
        File.WriteAllText(Path.Combine(_outside, "secret.yaml"), "train: x\nval: y\nnames: [z]\n");
        File.WriteAllText(Path.Combine(_outside, "nonames.yaml"), "train: x\n");
        File.CreateSymbolicLink(Path.Combine(_shared, "data", "out.yaml"), Path.Combine(_outside, "secret.yaml"));
        File.CreateSymbolicLink(Path.Combine(_shared, "data", "out-missing.yaml"), Path.Combine(_outside, "missing.yaml"));
        Directory.CreateSymbolicLink(Path.Combine(_shared, "up"), _outside);
        File.CreateSymbolicLink(Path.Combine(_shared, "data", "alias.yaml"), "good.yaml"); // a link inside is fine
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    static string Sweep(string data, string extra = "") => $"name: d\ndata: {data}\nmatrix: {{ model: yolov5 }}\n{extra}";

    string[] Errors(string yaml)
    {
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecParser.Parse(yaml, "s.yaml", new SubmitContext(_shared)));
        return e.Errors.ToArray();
    }

    [Theory]
    [InlineData("/etc/shadow", "s.yaml:2:7: 'data' /etc/shadow must be relative to the shared folder (an absolute path would be read from outside it)")]
    [InlineData("../../../../etc/hostname", "s.yaml:2:7: 'data' ../../../../etc/hostname leads out of the shared folder ('..')")]
    [InlineData("data/../../x.yaml", "s.yaml:2:7: 'data' data/../../x.yaml leads out of the shared folder ('..')")]
    [InlineData("~/x.yaml", "s.yaml:2:7: 'data' ~/x.yaml must be relative to the shared folder (an absolute path would be read from outside it)")]
    public void Paths_that_leave_the_shared_folder_are_refused_as_written(string data, string expected) =>
        Assert.Equal(expected, Assert.Single(Assert.Throws<SweepSpecException>(() => SweepSpecParser.Parse(Sweep(data), "s.yaml")).Errors));

    [Fact]
    public void Links_out_of_the_folder_are_refused_alike_whether_the_target_exists_or_not()
    {
        Assert.Equal(["s.yaml:2:7: data 'data/out.yaml' is not inside the shared folder"], Errors(Sweep("data/out.yaml")));
        Assert.Equal(["s.yaml:2:7: data 'data/out-missing.yaml' is not inside the shared folder"], Errors(Sweep("data/out-missing.yaml")));
        Assert.Equal(["s.yaml:2:7: data 'up/secret.yaml' is not inside the shared folder"], Errors(Sweep("up/secret.yaml")));
        // what the outside file holds (its keys) is never reported
        Assert.Equal(["s.yaml:2:7: data 'up/nonames.yaml' is not inside the shared folder"], Errors(Sweep("up/nonames.yaml")));
        Assert.Throws<ArgumentException>(() => SharedFolder.Resolve(_shared, Path.Combine(_outside, "secret.yaml")));
    }

    [Fact]
    public void A_dataset_inside_is_checked_at_submission()
    {
        Assert.Equal("data/good.yaml", SweepSpecParser.Parse(Sweep("data/good.yaml"), "s.yaml", new SubmitContext(_shared)).Data);
        Assert.Equal("data/alias.yaml", SweepSpecParser.Parse(Sweep("./data/alias.yaml"), "s.yaml", new SubmitContext(_shared)).Data!.TrimStart('.', '/'));
        Assert.Equal(Path.Combine(_shared, "data", "good.yaml"), SharedFolder.Resolve(_shared, "data/alias.yaml"));
        Assert.Equal([$"s.yaml:2:7: data 'data/missing.yaml' is not found in the shared folder ({_shared})"], Errors(Sweep("data/missing.yaml")));
        Assert.Equal(["s.yaml:2:7: data 'data/nonames.yaml' lacks names (an ultralytics dataset YAML: path, train, val, names)"], Errors(Sweep("data/nonames.yaml")));
        Assert.Equal(["s.yaml:1:1: missing 'data' (the dataset YAML, relative to the shared folder): trials that train need one"],
            Errors("name: d\nmatrix: { model: yolov5 }\n"));
        // a simulated sweep reads no dataset
        SweepSpecParser.Parse(Sweep("data/missing.yaml", "train: { simulate: { seconds_per_epoch: 0 } }\n"), "s.yaml", new SubmitContext(_shared));
    }

    [Fact]
    public void Resources_larger_than_the_largest_registered_host_are_refused_naming_it()
    {
        var yaml = "name: g\nmatrix: { model: yolov5 }\nresources: { gpus: 4 }\n";
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecParser.Parse(yaml, "s.yaml", new SubmitContext(null, ("node-a", 2))));
        Assert.Equal("s.yaml:3:20: resources.gpus 4: the largest registered host (node-a) has 2 device(s)", Assert.Single(e.Errors));
        Assert.Equal(4, SweepSpecParser.Parse(yaml, "s.yaml", new SubmitContext(null, ("node-b", 8))).Gpus);
        Assert.Equal(4, SweepSpecParser.Parse(yaml, "s.yaml", new SubmitContext()).Gpus); // no host registered yet
    }

    [Theory]
    [InlineData("yolov5-efficientvit", 192, "s.yaml:3:17: imgsz 192 does not suit yolov5-efficientvit: it needs a multiple of 32, at least 224 (its window attention needs stage maps of at least 7×7 at stride 32 (a quirk of the seed))")]
    [InlineData("yolov5-effnetv2", 160, "s.yaml:3:17: imgsz 160 does not suit yolov5-effnetv2: it needs a multiple of 64 (its deepest level is at stride 64, upsampled and joined with stride 32)")]
    public void Image_sizes_a_model_cannot_run_at_are_refused_at_submission(string model, int imgsz, string expected)
    {
        var yaml = $"name: i\nmatrix: {{ model: [yolov5, {model}] }}\ntrain: {{ imgsz: {imgsz} }}\n";
        Assert.Equal(expected, Assert.Single(Assert.Throws<SweepSpecException>(() => SweepSpecParser.Parse(yaml, "s.yaml")).Errors));
        SweepSpecParser.Parse(yaml.Replace($"imgsz: {imgsz}", "imgsz: 256"), "s.yaml");
    }
}
