using YoloSweep.Models;
using YoloSweep.Models.Modules;
using Xunit.Abstractions;

namespace YoloSweep.Models.Tests;

/// <summary>Parameter counts and GFLOPs equal the seeds' and the reference models' printed figures.</summary>
public class ZooCountsTests(ITestOutputHelper log)
{
    void Expect(DetectionModel m, long parameters, long gradients, double gflops)
    {
        var g = m.GFlops(640);
        log.WriteLine($"{m.Name} {m.Scale}: {m.ParameterCount} params, {m.GradientCount} gradients, {g:F3} GFLOPs, {m.ModuleCount} layers");
        Assert.Equal(parameters, m.ParameterCount);
        Assert.Equal(gradients, m.GradientCount);
        if (!double.IsNaN(gflops)) Assert.Equal(gflops, Math.Round(g, 1));
    }

    [Fact] public void C3_Faster_l_nc80_is_31797373_params_72_0_GFLOPs() { using var m = ModelCatalog.Build("yolov5-c3faster", "l"); Expect(m, 31_797_373, 31_797_373, 72.0); }
    [Fact] public void C3_AKConv_l_nc80_is_41928079_params_105_9_GFLOPs() { using var m = ModelCatalog.Build("yolov5-akconv", "l"); Expect(m, 41_928_079, 41_928_079, 105.9); }
    [Fact] public void Yolov5s_nc80_is_7235389_params_16_6_GFLOPs() { using var m = ModelCatalog.Build("yolov5", "s"); Expect(m, 7_235_389, 7_235_389, 16.6); }
    [Fact] public void Yolov8n_is_3157200_params_3157184_gradients_8_9_GFLOPs() { using var m = ModelCatalog.Build("yolov8", "n"); Expect(m, 3_157_200, 3_157_184, 8.9); }
    [Fact] public void Yolov10n_is_2775520_params_8_7_GFLOPs() { using var m = ModelCatalog.Build("yolov10", "n"); Expect(m, 2_775_520, 2_775_504, 8.7); }

    [Fact]
    public void EfficientViT_l_nc3_is_22414248_params_42_4_GFLOPs_with_a_2155680_backbone()
    {
        using var m = ModelCatalog.Build("yolov5-efficientvit", "l", 3);
        Assert.Equal(2_155_680, m.Layers[0].Params);
        Expect(m, 22_414_248, 22_414_248, 42.4);
    }

    [Fact]
    public void Seed004_code_and_yaml_nc1_is_33918422_params_33918406_gradients()
    {
        using var m = ModelCatalog.Build("yolov10-dsconv", "l", 1);
        Expect(m, 33_918_422, 33_918_406, double.NaN);
    }

    // thop (as yolov5/ultralytics print GFLOPs) also counts what the old rules left out: the nn.AdaptiveAvgPool2d of
    // seed 002's squeeze-excite ((H·W + 1) per output element: +0.032 here), nn.Upsample (output elements) and, as
    // thop runs the model in eval mode, the DFL convolutions of the decoding heads (v10: both branches).
    [Fact]
    public void Yolov5_effnetv2_x_counts_its_squeeze_excite_pooling_as_thop_does()
    {
        using var m = ModelCatalog.Build("yolov5-effnetv2", "x");
        var g = m.GFlops(640);
        log.WriteLine($"yolov5-effnetv2 x: {g:F4} GFLOPs");
        Assert.Equal(90.38, Math.Round(g, 2));   // was 90.348 without the pooling
        Assert.Equal(90.4, Math.Round(g, 1));
    }

    [Fact]
    public void Yolov10_b_counts_upsampling_and_both_DFL_decodes_as_thop_does()
    {
        using var m = ModelCatalog.Build("yolov10", "b");
        var g = m.GFlops(640);
        log.WriteLine($"yolov10 b: {g:F4} GFLOPs");
        Assert.Equal(99.355, Math.Round(g, 3));   // was 99.344
        Assert.Equal(99.4, Math.Round(g, 1));
    }

    // yolov5 v7.0's parse_model leaves a layer unscaled when its yaml width equals no = na·(nc+5) ("if not output"):
    // at nc 3, no = 24 = the stem's and FusedMBConv 1's width; at nc 11, no = 48 = FusedMBConv 2's and 3's. The counts
    // are yolov5's (reference/yolov5_effnetv2_params.py: seed 002's modules in PyTorch, yolov5's parse_model).
    [Theory]
    [InlineData("n", 3, 1_509_276, "[3, 24, 3, 2]")]
    [InlineData("n", 11, 1_654_772, "[3, 8, 3, 2]")]
    [InlineData("n", 80, 1_588_769, "[3, 8, 3, 2]")]
    [InlineData("s", 11, 5_750_696, "[3, 16, 3, 2]")]
    public void Yolov5_effnetv2_keeps_a_width_equal_to_the_output_width_unscaled_as_yolov5_does(string scale, long nc, long parameters, string stemArgs)
    {
        using var m = ModelCatalog.Build("yolov5-effnetv2", scale, nc);
        Assert.Equal(parameters, m.ParameterCount);
        Assert.Equal(stemArgs, m.Layers[0].Arguments);
    }

    [Fact]
    public void The_v5_family_compares_widths_with_no_and_ultralytics_with_nc()
    {
        using var effnet = ModelCatalog.Build("yolov5-effnetv2", "n", 11);
        Assert.StartsWith("[8, 48, ", effnet.Layers[2].Arguments);   // 48 = 3·(11+5): not scaled to 16
        Assert.StartsWith("[48, 48, ", effnet.Layers[3].Arguments);
        // a first Conv of yaml width 64 at nc 64: yolov5 scales it (64 ≠ no = 207), ultralytics keeps it (64 = nc)
        using var v5 = ModelCatalog.Build("yolov5", "n", 64);
        Assert.StartsWith("[3, 16, ", v5.Layers[0].Arguments);
        using var v8 = ModelCatalog.Build("yolov8", "n", 64);
        Assert.StartsWith("[3, 64, ", v8.Layers[0].Arguments);
    }

    // YOLOv10 paper (Wang et al. 2024, Table 1) and THU-MIG/yolov10 README: #Params (M) and FLOPs (G) at 640 of the
    // deployed models, i.e. after ultralytics fuse() (BN folded, RepVGGDW folded, one-to-one head only).
    [Theory]
    [InlineData("n", 2.3, 6.7)]
    [InlineData("s", 7.2, 21.6)]
    [InlineData("m", 15.4, 59.1)]
    [InlineData("b", 19.1, 92.0)]
    [InlineData("l", 24.4, 120.3)]
    [InlineData("x", 29.5, 160.4)]
    public void Yolov10_fused_counts_equal_the_published_figures(string scale, double megaParams, double gflops)
    {
        using var m = ModelCatalog.Build("yolov10", scale);
        var (p, g) = m.FusedCounts();
        log.WriteLine($"yolov10{scale}: {m.ParameterCount:N0} params, {m.GFlops():F3} GFLOPs; fused {p:N0} params, {g:F3} GFLOPs");
        Assert.Equal(megaParams, Math.Round(p / 1e6, 1));
        Assert.Equal(gflops, Math.Round(g, 1));
    }

    [Fact]
    public void Yolov10n_fused_is_2299264_params()
    {
        using var m = ModelCatalog.Build("yolov10", "n");
        Assert.Equal(2_299_264, m.FusedCounts().Parameters);
        Assert.Equal(2_775_520, m.ParameterCount);  // counting leaves the model as it was
    }

    // ultralytics cfg/models/v8/yolov8.yaml, the summary printed beside each scale (nc 80).
    [Theory]
    [InlineData("s", 11_166_560, 28.8)]
    [InlineData("m", 25_902_640, 79.3)]
    [InlineData("l", 43_691_520, 165.7)]
    [InlineData("x", 68_229_648, 258.5)]
    public void Yolov8_scales_equal_the_ultralytics_yaml_summaries(string scale, long parameters, double gflops)
    {
        using var m = ModelCatalog.Build("yolov8", scale);
        Expect(m, parameters, parameters - 16, gflops);
    }
}
