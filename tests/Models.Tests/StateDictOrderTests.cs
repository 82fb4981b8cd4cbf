using System.Text.Json;
using YoloSweep.Models;
using YoloSweep.Models.Modules;

namespace YoloSweep.Models.Tests;

/// <summary>state_dict() lists every entry in PyTorch's order: per module its parameters, then its buffers, then its
/// children in the order the original's __init__ assigned them. Weights loaded by position, the fixtures' generator
/// init and printed summaries all walk it in that order.</summary>
public class StateDictOrderTests
{
    [Theory]
    [InlineData("yolov5_n", "yolov5")]
    [InlineData("C3_Faster_n", "yolov5-c3faster")]
    [InlineData("C3_AKConv_n", "yolov5-akconv")]
    [InlineData("yolov8n", "yolov8")]
    [InlineData("yolov10n", "yolov10")]
    public void The_ordered_state_dict_equals_the_fixtures_list(string fixture, string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Repo.Fixture(fixture + ".json")));
        var root = doc.RootElement;
        var theirs = root.GetProperty("state_dict").EnumerateArray()
            .Select(e => $"{e.GetProperty("name").GetString()} [{string.Join(", ", e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()))}]")
            .ToList();
        using var m = ModelCatalog.Build(model, "n", root.GetProperty("nc").GetInt64());
        var ours = m.state_dict().Select(e => $"{e.name} [{string.Join(", ", e.value.shape)}]").ToList();
        Assert.Equal(theirs.Count, ours.Count);
        for (var i = 0; i < ours.Count; i++) Assert.True(theirs[i] == ours[i], $"entry {i}: fixture {theirs[i]}, ours {ours[i]}");
    }

    static string[] Children(YoloSweep.Torch.torch.nn.Module m) => m.state_dict().Select(e => e.name.Split('.')[0]).Distinct().ToArray();

    [Fact]
    public void PatchMerging_registers_conv1_act_conv2_se_conv3_as_seed_003()
    {
        using var m = new PatchMerging(64, 128);
        Assert.Equal(["conv1", "conv2", "se", "conv3"], Children(m));   // act has no state
        Assert.Equal(["conv1", "act", "conv2", "se", "conv3"], m.named_children().Select(c => c.name).ToArray());
    }

    [Fact]
    public void MBConv_registers_expansion_dw_se_project_as_seed_002()
    {
        using var m = new MBConv(32, 32, 3, 1, 4, 0.25);
        Assert.Equal(["expansion_conv", "dw_conv", "se", "project_conv"], Children(m));
        Assert.Equal(["expansion_conv", "dw_conv", "se", "project_conv", "dropout"], m.named_children().Select(c => c.name).ToArray());
        using var se = new SqueezeExcite_efficientv2(128, 128);
        Assert.Equal(["gate_fn", "avg_pool", "conv_reduce", "act1", "conv_expand"], se.named_children().Select(c => c.name).ToArray());
    }

    [Fact]
    public void Every_zoo_module_registers_its_children_in_declaration_order_of_the_original()
    {
        // spot checks of the originals' __init__ order across the zoo
        using var cga = new CascadedGroupAttention(64, 16, 4, 1.0, 7, [7, 5, 3, 3]);
        Assert.Equal(["qkvs", "dws", "proj"], cga.named_children().Select(c => c.name).ToArray());
        Assert.Equal("attention_biases", cga.state_dict()[0].name);
        Assert.Equal("attention_bias_idxs", cga.state_dict().First(e => !e.name.Contains('.') && e.name != "attention_biases").name);
        using var fb = new Faster_Block(32, 64);
        Assert.Equal(["drop_path", "mlp", "spatial_mixing", "adjust_channel"], fb.named_children().Select(c => c.name).ToArray());
        using var psa = new PSA(256, 256);
        Assert.Equal(["cv1", "cv2", "attn", "ffn"], psa.named_children().Select(c => c.name).ToArray());
        using var c3 = new C3(32, 32, 1);
        Assert.Equal(["cv1", "cv2", "cv3", "m"], c3.named_children().Select(c => c.name).ToArray());
    }
}
