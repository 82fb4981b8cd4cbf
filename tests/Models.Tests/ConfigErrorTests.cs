using YoloSweep.Models;

namespace YoloSweep.Models.Tests;

/// <summary>Configuration mistakes give errors naming the input and what was expected.</summary>
public class ConfigErrorTests
{
    const string Good = """
        nc: 3
        scales:
          n: [0.33, 0.25, 1024]
        backbone:
          - [-1, 1, Conv, [64, 3, 2]]
          - [-1, 1, Conv, [128, 3, 2]]
          - [-1, 1, Conv, [256, 3, 2]]
        head:
          - [[0, 1, 2], 1, Detect, [nc]]
        """;

    static ModelConfigException Fails(string yaml, BuildOptions? o = null) =>
        Assert.Throws<ModelConfigException>(() => ModelBuilder.Build(ModelSpec.Parse(yaml, "my.yaml"), o));

    [Fact]
    public void A_user_yaml_builds()
    {
        using var m = ModelBuilder.Build(ModelSpec.Parse(Good, "my.yaml"), new BuildOptions("n"));
        Assert.Equal(new float[] { 2, 4, 8 }, m.Strides);
    }

    [Fact]
    public void Unknown_module_names_it_with_the_yaml_line()
    {
        var e = Fails(Good.Replace("[-1, 1, Conv, [128, 3, 2]]", "[-1, 1, Conv9, [128, 3, 2]]"));
        Assert.StartsWith("my.yaml:6:5: unknown module 'Conv9' in layer 1: - [-1, 1, Conv9, [128, 3, 2]]", e.Message);
        Assert.Contains("C3_Faster", e.Message);
    }

    [Fact]
    public void From_index_out_of_range_is_an_error_with_its_line()
    {
        var e = Fails(Good.Replace("[[0, 1, 2], 1, Detect", "[[0, 1, 7], 1, Detect"));
        Assert.StartsWith("my.yaml:9:5: 'from' index 7 of layer 3 is out of range", e.Message);
        Assert.Contains("0…2", e.Message);
    }

    [Fact]
    public void Knob_the_model_lacks_lists_the_valid_ones()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelCatalog.Build("yolov5-c3faster", "n", knobs: new Dictionary<string, string> { ["dsconv.block_size"] = "8" }));
        Assert.Equal("knob 'dsconv.block_size' does not apply to model 'yolov5-c3faster'; its knobs: pconv.n_div, pconv.mlp_ratio", e.Message);
        var e2 = Assert.Throws<ModelConfigException>(() => ModelCatalog.Build("yolov5", "n", knobs: new Dictionary<string, string> { ["pconv.n_div"] = "2" }));
        Assert.Equal("knob 'pconv.n_div' does not apply to model 'yolov5'; it has no knobs", e2.Message);
        var e3 = Assert.Throws<ModelConfigException>(() => ModelCatalog.Build("yolov8-dsconv", "n", knobs: new Dictionary<string, string> { ["dsconv.bits"] = "1" }));
        Assert.Contains("invalid value '1'", e3.Message);
        var e4 = Assert.Throws<ModelConfigException>(() => ModelCatalog.Build("yolov5-c3faster", "n", knobs: new Dictionary<string, string> { ["pconv.n_div"] = "2000" }));
        Assert.Equal("knob 'pconv.n_div' of model 'yolov5-c3faster': invalid value '2000' (expected an integer in 1..1024)", e4.Message);
    }

    [Fact]
    public void Psa_narrower_than_128_channels_is_a_config_error_naming_the_layer_not_a_divide_by_zero()
    {
        const string yaml = """
            nc: 3
            backbone:
              - [-1, 1, Conv, [64, 3, 2]]
              - [-1, 1, Conv, [96, 3, 2]]
              - [-1, 1, PSA, [96]]
              - [-1, 1, Conv, [128, 3, 2]]
            head:
              - [[1, 2, 3], 1, Detect, [nc]]
            """;
        var e = Fails(yaml);
        Assert.StartsWith("my.yaml:5:5: cannot build layer 2 (PSA with args [96, 96]", e.Message);
        Assert.Contains("PSA needs at least 128 input channels", e.Message);
        Assert.Contains("c1·e = 48), got 96", e.Message);

        // 128 channels is the narrowest PSA: one 64-channel head, and it runs
        using var m = ModelBuilder.Build(ModelSpec.Parse(yaml.Replace("[96, 3, 2]", "[128, 3, 2]").Replace("PSA, [96]", "PSA, [128]"), "my.yaml"));
        using var x = YoloSweep.Torch.torch.randn([1, 3, 64, 64]);
        m.eval();
        using var y = m.Forward(x);
        Assert.Equal(3, y.Raw.Length);
    }

    [Fact]
    public void Unknown_scale_lists_the_scales()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelCatalog.Build("yolov8", "q"));
        Assert.Equal("configs/models/yolov8.yaml: unknown scale 'q' for model 'yolov8'; its scales: n, s, m, l, x", e.Message);
    }

    [Fact]
    public void Malformed_yaml_gives_line_and_column()
    {
        var e = Fails(Good.Replace("  - [-1, 1, Conv, [128, 3, 2]]", "  - [-1, 1, Conv, [128, 3, 2]"));
        Assert.Matches(@"^my\.yaml:\d+:\d+: malformed YAML: ", e.Message);
        Assert.StartsWith("my.yaml:7:", e.Message);
    }

    [Fact]
    public void Unknown_model_name_lists_the_zoo()
    {
        var e = Assert.Throws<ModelConfigException>(() => ModelCatalog.Build("yolov9"));
        Assert.Contains("yolov5-efficientvit", e.Message);
    }
}
