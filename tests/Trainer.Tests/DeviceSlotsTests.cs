using YoloSweep.Trainer.Host;

namespace YoloSweep.Trainer.Tests;

public class DeviceSlotsTests
{
    [Fact]
    public void Device_specs_become_slots()
    {
        Assert.Equal(["cpu"], Devices.Parse("cpu"));
        Assert.Equal(["cpu0", "cpu1", "cpu2"], Devices.Parse("cpu:3"));
        Assert.Equal(["cuda:0", "cuda:2"], Devices.Parse("0,2"));
        Assert.Equal(["cuda:1"], Devices.Parse("cuda:1"));
    }

    [Fact]
    public void All_means_every_cuda_device_or_one_cpu_slot_without_one()
    {
        Assert.Equal(["cuda:0", "cuda:1", "cuda:2"], Devices.Parse("all", () => 3));
        Assert.Equal(["cpu"], Devices.Parse("all", () => 0));
        var n = YoloSweep.Torch.torch.cuda.device_count(); // without a count, "all" asks libtorch
        Assert.Equal(n == 0 ? ["cpu"] : Enumerable.Range(0, n).Select(i => $"cuda:{i}").ToArray(), Devices.Parse("all"));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("0,0")]
    [InlineData("cpu:0")]
    [InlineData("-1")]
    public void Bad_device_specs_are_clear_errors(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => Devices.Parse(text));
        Assert.Contains($"devices '{text}'", e.Message);
    }
}
