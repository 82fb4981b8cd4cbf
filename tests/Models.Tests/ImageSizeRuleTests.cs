using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models.Tests;

/// <summary>
/// Issue 11 item 16: the image sizes the catalogue states for a model (configs/models/*.yaml, catalog: imgsz:) are
/// exactly the sizes its forward pass runs at, found by building and running it.
/// </summary>
public class ImageSizeRuleTests
{
    [Theory]
    [InlineData("yolov5-efficientvit", new[] { 160, 192, 224, 256 })]
    [InlineData("yolov5-effnetv2", new[] { 96, 128, 160, 192 })]
    [InlineData("yolov5", new[] { 64, 96 })]
    public void The_catalogue_imgsz_rule_matches_the_sizes_the_model_runs_at(string model, int[] sizes)
    {
        var rule = Contracts.Catalog.ModelCatalog.Find(model)!.Imgsz;
        using var m = ModelCatalog.Build(model, "n", 3, null);
        m.eval();
        using var _ = no_grad();
        foreach (var size in sizes)
        {
            using var x = rand([1, 3, size, size]);
            var runs = Record.Exception(() => { using var o = m.Forward(x); }) is null;
            Assert.True(runs == rule.Allows(size), $"{model} at {size}: runs {runs}, the catalogue says {rule.Allows(size)} ({rule.Text})");
        }
    }
}
