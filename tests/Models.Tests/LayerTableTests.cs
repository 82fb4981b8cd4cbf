using System.Text.Json;
using YoloSweep.Models;

namespace YoloSweep.Models.Tests;

/// <summary>Per-layer params (and arguments) equal the tables the seeds and the fixtures printed.</summary>
public class LayerTableTests
{
    // seed 000 (yolov5_C3_Faster.yaml, l, nc 80), printed table
    static readonly long[] Seed000 = [7040, 73984, 90112, 295424, 583680, 1180672, 3226624, 4720640, 5695488, 2624512, 525312, 0, 0,
        1688576, 131584, 0, 0, 423424, 590336, 0, 1426432, 2360320, 0, 5695488, 457725];
    // seed 001 (yolov5_C3_AKConv.yaml, l, nc 80)
    static readonly long[] Seed001 = [7040, 73984, 156928, 295424, 1118208, 1180672, 6433792, 4720640, 5336082, 2624512, 525312, 0, 0,
        2757632, 131584, 0, 0, 690688, 590336, 0, 2495488, 2360320, 0, 9971712, 457725];
    // seed 003 (yolov5_EfficientViT.yaml, nc 3); the blog prints the row "2" twice — once here
    static readonly long[] Seed003 = [2155680, 413888, 525312, 0, 0, 2561024, 131584, 0, 0, 641536, 590336, 0, 2495488, 2360320, 0, 10496000, 43080];

    [Fact]
    public void C3_Faster_l_rows_equal_seed_000_table()
    {
        using var m = ModelCatalog.Build("yolov5-c3faster", "l");
        Assert.Equal(Seed000, m.Layers.Select(l => l.Params).ToArray());
        Assert.Equal("[128, 128, 3]", m.Layers[2].Arguments);
        Assert.Equal("[1024, 512, 3, False]", m.Layers[13].Arguments);
        Assert.Equal("[80, [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119], [116, 90, 156, 198, 373, 326]], [256, 512, 1024]]", m.Layers[24].Arguments);
    }

    [Fact]
    public void C3_AKConv_l_rows_equal_seed_001_table()
    {
        using var m = ModelCatalog.Build("yolov5-akconv", "l");
        Assert.Equal(Seed001, m.Layers.Select(l => l.Params).ToArray());
        Assert.Equal("[1024, 1024, 3]", m.Layers[8].Arguments);
    }

    [Fact]
    public void EfficientViT_rows_equal_seed_003_table()
    {
        using var m = ModelCatalog.Build("yolov5-efficientvit", "l", 3);
        Assert.Equal(Seed003, m.Layers.Select(l => l.Params).ToArray());
        Assert.Equal("[192, 1024, 5]", m.Layers[1].Arguments);
        Assert.Equal("[640, 512, 3, False]", m.Layers[5].Arguments);
        Assert.Equal(new[] { 13, 16, 19 }, m.Layers[^1].From);
    }

    [Theory]
    [InlineData("yolov5_n", "yolov5")]
    [InlineData("C3_Faster_n", "yolov5-c3faster")]
    [InlineData("C3_AKConv_n", "yolov5-akconv")]
    public void Scale_n_rows_equal_the_fixture_parse_model_tables(string fixture, string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Repo.Fixture(fixture + ".json")));
        var rows = doc.RootElement.GetProperty("parse_model_table").EnumerateArray().Select(r => r.GetString()!).ToArray();
        var expected = rows.Select(r => long.Parse(r[24..34].Trim())).ToArray();
        using var m = ModelCatalog.Build(model, "n", 3);
        Assert.Equal(expected, m.Layers.Select(l => l.Params).ToArray());
        Assert.Equal(doc.RootElement.GetProperty("parameters").GetInt64(), m.ParameterCount);
        Assert.Equal(doc.RootElement.GetProperty("layers").GetInt32(), m.ModuleCount);
    }

    [Theory]
    [InlineData("yolov8n", "yolov8")]
    [InlineData("yolov10n", "yolov10")]
    public void Ultralytics_nc3_counts_equal_the_fixture(string fixture, string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Repo.Fixture(fixture + ".json")));
        using var m = ModelCatalog.Build(model, "n", 3);
        Assert.Equal(doc.RootElement.GetProperty("parameters").GetInt64(), m.ParameterCount);
        Assert.Equal(doc.RootElement.GetProperty("gradients").GetInt64(), m.GradientCount);
        Assert.Equal(doc.RootElement.GetProperty("layers").GetInt32(), m.ModuleCount);
    }

    [Fact]
    public void Summary_table_and_json_carry_layers_parameters_gradients_gflops()
    {
        using var m = ModelCatalog.Build("yolov5", "s");
        var s = ModelSummary.Of(m);
        Assert.EndsWith("yolov5s summary: 214 layers, 7,235,389 parameters, 7,235,389 gradients, 16.6 GFLOPs", s.Table());
        Assert.Contains("  0                -1  1      3520  Conv                                    [3, 32, 6, 2, 2]", s.Table());
        using var doc = JsonDocument.Parse(s.Json());
        Assert.Equal(214, doc.RootElement.GetProperty("layers").GetInt32());
        Assert.Equal(7_235_389, doc.RootElement.GetProperty("parameters").GetInt64());
        Assert.Equal(7_235_389, doc.RootElement.GetProperty("gradients").GetInt64());
        Assert.Equal(16.625, doc.RootElement.GetProperty("gflops").GetDouble(), 3);   // thop counts the two upsamplings (0.0025)
        Assert.Equal(25, doc.RootElement.GetProperty("rows").GetArrayLength());
    }

    [Theory]
    [InlineData("yolov5-c3faster", "n", "yolov5-c3faster-n summary: ")]
    [InlineData("yolov8", "n", "yolov8n summary: 225 layers, 3,157,200 parameters, 3,157,184 gradients, 8.9 GFLOPs")]
    [InlineData("yolov10", "b", "yolov10b summary: ")]
    public void Summary_line_names_the_scale_as_ultralytics_does_and_a_hyphen_keeps_it_apart(string model, string scale, string start)
    {
        using var m = ModelCatalog.Build(model, scale);
        Assert.StartsWith(start, ModelSummary.Of(m).SummaryLine());
    }

    [Fact]
    public void Ultralytics_families_use_ultralytics_column_widths()
    {
        using var m = ModelCatalog.Build("yolov8", "n");
        var table = ModelSummary.Of(m).Table();
        // ultralytics parse_model: f"{i:>3}{str(f):>20}{n_:>3}{np:10.0f}  {t:<45}{str(args):<30}"
        Assert.Contains("  0                  -1  1       464  " + "Conv".PadRight(45) + "[3, 16, 3, 2]", table);
        Assert.StartsWith("                   from  n    params  " + "module".PadRight(45) + "arguments", table);
    }
}
