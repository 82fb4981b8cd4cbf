using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch.Tests;

public class DeviceTests
{
    [Fact]
    public void Channels_last_changes_strides_not_values_and_modules_convert_in_place()
    {
        using var s = NewDisposeScope();
        var x = randn(2, 3, 4, 5);
        var cl = x.contiguous(MemoryFormat.ChannelsLast);
        Assert.Equal(new long[] { 60, 1, 15, 3 }, cl.stride());
        Assert.True(cl.is_contiguous(MemoryFormat.ChannelsLast));
        Assert.False(cl.is_contiguous());
        Assert.True(cl.equal(x));
        using var conv = new nn.Conv2d(3, 6, 3, padding: 1);
        var reference = conv.call(x);
        var weight = conv.weight;
        conv.to(MemoryFormat.ChannelsLast);
        Assert.Same(weight, conv.weight);                                  // same Parameter object …
        Assert.True(conv.weight.is_contiguous(MemoryFormat.ChannelsLast)); // … now channels_last
        var y = conv.call(cl);
        Assert.True(y.is_contiguous(MemoryFormat.ChannelsLast));          // layout propagates through conv
        Assert.True(y.allclose(reference, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void All_reduce_mean_averages_each_gradient_across_replicas_in_place()
    {
        using var s = NewDisposeScope();
        var replicas = new List<Tensor[]>
        {
            new[] { tensor(new float[] { 1, 2, 3, 4 }, [2, 2]), tensor(new float[] { 10 }), tensor(new double[] { 1 }) },
            new[] { tensor(new float[] { 3, 2, 1, 0 }, [2, 2]), tensor(new float[] { 20 }), tensor(new double[] { 2 }) },
            new[] { tensor(new float[] { 2, 2, 2, 2 }, [2, 2]), tensor(new float[] { 60 }), tensor(new double[] { 6 }) },
        };
        var identity = replicas[1][0];
        distributed.all_reduce_mean(replicas);
        foreach (var r in replicas)
        {
            Assert.Equal(new float[] { 2, 2, 2, 2 }, r[0].ToArray<float>());
            Assert.Equal(new float[] { 30 }, r[1].ToArray<float>());
            Assert.Equal(new double[] { 3 }, r[2].ToArray<double>());
        }
        Assert.Same(identity, replicas[1][0]);
        var bad = new List<Tensor[]> { new[] { zeros(2) }, new[] { zeros(3) } };
        Assert.Contains("gradient 0 of replica 1 is [3]", Assert.Throws<TorchException>(() => distributed.all_reduce_mean(bad)).Message);
    }

    [Fact]
    public void Cuda_queries_answer_without_a_gpu()
    {
        // This CI machine has CPU libtorch: no devices, and device-only calls fail with a TorchException.
        if (cuda.is_available()) return;
        Assert.Equal(0, cuda.device_count());
        Assert.Throws<TorchException>(() => cuda.memory_stats());
        Assert.Throws<TorchException>(() => ones(1).to(new Device(DeviceType.CUDA, 0)));
    }
}
