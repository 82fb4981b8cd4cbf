using YoloSweep.Agent;

namespace YoloSweep.Agent.Tests;

public class DeviceSlotsTests
{
    [Fact]
    public void Device_specs_become_slots()
    {
        Assert.Equal(["cpu"], Devices.Parse("cpu"));
        Assert.Equal(["cpu0", "cpu1", "cpu2"], Devices.Parse("cpu:3"));
        Assert.Equal(["cuda:0", "cuda:2"], Devices.Parse("0,2", () => 4));
        Assert.Equal(["cuda:1"], Devices.Parse("cuda:1", () => 2));
    }

    [Fact]
    public void All_means_every_cuda_device_or_one_cpu_slot_without_one()
    {
        Assert.Equal(["cuda:0", "cuda:1", "cuda:2"], Devices.Parse("all", () => 3));
        Assert.Equal(["cpu"], Devices.Parse("all", () => 0));
        var n = Devices.CudaDeviceCount(); // without a count, "all" asks the NVIDIA driver (no libtorch in the agent)
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

    [Fact]
    public void Gpu_indices_this_machine_lacks_are_refused_when_the_host_starts_not_when_each_trial_fails()
    {
        var none = Assert.Throws<ArgumentException>(() => Devices.Parse("0,1", () => 0));
        Assert.Contains("this machine has no CUDA device; use --devices cpu", none.Message);
        var two = Assert.Throws<ArgumentException>(() => Devices.Parse("1,2", () => 2));
        Assert.Contains("this machine has 2 CUDA device(s), indices 0..1", two.Message);
    }
}
