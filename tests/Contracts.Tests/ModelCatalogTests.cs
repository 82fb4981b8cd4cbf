using YoloSweep.Contracts.Catalog;
using YoloSweep.Contracts.Sweeps;

namespace YoloSweep.Contracts.Tests;

public class ModelCatalogTests
{
    [Fact]
    public void The_zoo_lists_each_family_baseline_first_then_its_variants_in_seed_order()
    {
        Assert.Equal(
            ["yolov5", "yolov5-c3faster", "yolov5-akconv", "yolov5-effnetv2", "yolov5-efficientvit", "yolov8", "yolov8-dsconv", "yolov10", "yolov10-dsconv"],
            ModelCatalog.Models.Select(m => m.Name));
        Assert.All(ModelCatalog.Models, m => Assert.Equal(m.Name.Split('-')[0], m.Baseline));
    }

    [Fact]
    public void Scales_and_knob_defaults_come_from_the_model_yamls()
    {
        Assert.Equal(["n", "s", "m", "b", "l", "x"], ModelCatalog.Find("yolov10")!.Scales);
        Assert.Equal(["n", "s", "m", "l", "x"], ModelCatalog.Find("yolov10-dsconv")!.Scales);
        var faster = ModelCatalog.Find("yolov5-c3faster")!;
        Assert.Equal([("pconv.n_div", "4"), ("pconv.mlp_ratio", "2")], faster.Knobs.Select(k => (k.Name, k.Default)));
        Assert.Equal("000", faster.Seed);
        Assert.Equal("0 or an integer in 2..16", ModelCatalog.Find("yolov8-dsconv")!.Knob("dsconv.bits")!.Expected);
        Assert.Empty(ModelCatalog.Find("yolov8")!.Knobs);
    }

    [Theory]
    [InlineData("2", "2")]
    [InlineData(" 2", "2")]
    [InlineData("+2", "2")]
    [InlineData("02", "2")]
    [InlineData("2.0", "2")]
    [InlineData("1e3", "1000")]
    [InlineData("1024", "1024")]
    [InlineData("0", null)]
    [InlineData("1025", null)]
    [InlineData("2.5", null)]
    [InlineData("abc", null)]
    [InlineData("NaN", null)]
    [InlineData("Infinity", null)]
    [InlineData("", null)]
    public void Integer_knobs_take_integral_numbers_in_range_in_one_canonical_form(string value, string? canonical) =>
        Assert.Equal(canonical, ModelCatalog.Find("yolov5-c3faster")!.Knob("pconv.n_div")!.Canonical(value));

    [Theory]
    [InlineData("2", "2")]
    [InlineData("2.0", "2")]
    [InlineData("+2.50", "2.5")]
    [InlineData("0.5", "0.5")]
    [InlineData("0", null)]
    [InlineData("-1", null)]
    [InlineData("Infinity", null)]
    public void Positive_number_knobs_print_the_shortest_round_trip_form(string value, string? canonical) =>
        Assert.Equal(canonical, ModelCatalog.Find("yolov5-c3faster")!.Knob("pconv.mlp_ratio")!.Canonical(value));

    [Theory]
    [InlineData("M3", "M3")]
    [InlineData(" m3 ", "M3")]
    [InlineData("M6", null)]
    [InlineData("M 0", null)]
    public void Choice_knobs_match_their_names_ignoring_case_and_spaces(string value, string? canonical) =>
        Assert.Equal(canonical, ModelCatalog.Find("yolov5-efficientvit")!.Knob("efficientvit.variant")!.Canonical(value));

    [Theory]
    [InlineData("0", "0")]
    [InlineData("1", null)]
    [InlineData("2", "2")]
    [InlineData("16", "16")]
    [InlineData("17", null)]
    public void Dsconv_bits_take_zero_for_the_plain_convolution_or_two_to_sixteen(string value, string? canonical) =>
        Assert.Equal(canonical, ModelCatalog.Find("yolov8-dsconv")!.Knob("dsconv.bits")!.Canonical(value));

    [Fact]
    public void Spellings_of_one_knob_value_make_one_trial_not_four()
    {
        var spec = SweepSpecParser.Parse("""
            name: canon
            matrix:
              model: [yolov5-c3faster]
              knobs:
                pconv.n_div: [" 2", "+2", "02", "2.0", 4]
            """);
        Assert.Equal(["2", "4"], spec.Knobs["pconv.n_div"]);
        Assert.Equal(2, SweepExpander.Expand(spec).Count);
    }

    [Fact]
    public void A_knob_block_without_values_names_the_file_and_line()
    {
        var root = (YamlDotNet.RepresentationModel.YamlMappingNode)Load("k: { default: 3 }\n");
        var e = Assert.Throws<FormatException>(() => KnobRule.ParseBlock(root, "m.yaml"));
        Assert.StartsWith("m.yaml:1:4: knob 'k' states no values", e.Message);
        var bad = (YamlDotNet.RepresentationModel.YamlMappingNode)Load("k: { default: 9, int: [1, 4] }\n");
        Assert.Contains("default '9' is not an integer in 1..4", Assert.Throws<FormatException>(() => KnobRule.ParseBlock(bad, "m.yaml")).Message);
    }

    static YamlDotNet.RepresentationModel.YamlNode Load(string yaml)
    {
        var s = new YamlDotNet.RepresentationModel.YamlStream();
        s.Load(new StringReader(yaml));
        return s.Documents[0].RootNode;
    }
}
