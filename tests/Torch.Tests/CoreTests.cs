using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Torch.Tests;

public class CoreTests
{
    [Fact]
    public void Arithmetic_matches_hand_computed_values()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = tensor(new float[] { 10, 20, 30, 40 }, [2, 2]);
        using var c = a * b + 1;
        Assert.Equal(new float[] { 11, 41, 91, 161 }, c.ToArray<float>());
        using var s = c.sum();
        Assert.Equal(304f, s.item<float>());
        using var m = a.matmul(b);
        Assert.Equal(new float[] { 70, 100, 150, 220 }, m.ToArray<float>());
    }

    [Fact]
    public void Conv2d_backward_gives_gradients_of_the_right_shape()
    {
        using var conv = new nn.Conv2d(3, 8, 3, padding: 1);
        using var x = randn(2, 3, 8, 8);
        using var y = conv.call(x);
        Assert.Equal(new long[] { 2, 8, 8, 8 }, y.shape);
        using var loss = y.pow(2).mean();
        loss.backward();
        using var g = conv.weight.grad;
        Assert.NotNull(g);
        Assert.Equal(new long[] { 8, 3, 3, 3 }, g!.shape);
        Assert.True(g.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Wrong_shape_conv_throws_TorchException_naming_the_shapes_and_the_process_goes_on()
    {
        using var x = randn(1, 4, 8, 8);
        using var w = randn(8, 3, 3, 3);
        var e = Assert.Throws<TorchException>(() => F.conv2d(x, w));
        Assert.Contains("[8, 3, 3, 3]", e.Message);
        Assert.Contains("4", e.Message);
        using var ok = F.conv2d(randn(1, 3, 8, 8), w);
        Assert.Equal(new long[] { 1, 8, 6, 6 }, ok.shape);
    }

    [Fact]
    public void State_dict_names_follow_pytorch()
    {
        using var seq = new nn.Sequential(new nn.Conv2d(3, 4, 1, bias: false), new nn.BatchNorm2d(4));
        var names = seq.state_dict().Select(e => e.name).ToArray();
        Assert.Equal(new[] { "0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked" }, names);
    }
}

public class ScalarSemanticsTests
{
    [Fact]
    public void Integer_scalars_keep_integer_tensors_integer_as_in_pytorch()
    {
        using var s = NewDisposeScope();
        var j = tensor(new long[] { 1, 2 });
        Assert.Equal(ScalarType.Int64, (j + 5).dtype);
        Assert.Equal(new long[] { 6, 7 }, (j + 5).ToArray<long>());
        Assert.Equal(new long[] { 9, 8 }, (10 - j).ToArray<long>());
        Assert.Equal(ScalarType.Float32, (j + 0.5).dtype);      // a float scalar promotes, as PyTorch
        Assert.Equal(ScalarType.Float32, (ones(2) * 3).dtype);
    }

    [Fact]
    public void BatchNorm2d_training_forward_counts_batches_and_updates_running_stats()
    {
        using var s = NewDisposeScope();
        using var bn = new nn.BatchNorm2d(1, momentum: 0.5);
        var x = tensor(new float[] { 1, 2, 3, 6 }, [1, 1, 2, 2]);   // mean 3, unbiased var 14/3
        bn.call(x);
        Assert.Equal(1L, bn.num_batches_tracked.item<long>());
        Assert.Equal(1.5f, bn.running_mean.item<float>(), 6);
        Assert.Equal(0.5f + 0.5f * 14f / 3f, bn.running_var.item<float>(), 5);
    }
}
