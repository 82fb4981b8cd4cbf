using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch.Tests;

public class InPlaceTests
{
    [Fact]
    public void In_place_ops_return_the_same_tensor_so_they_chain()
    {
        using var x = tensor(new float[] { -2, -0.5f, 1, 3 });
        using var identity = tensor(new float[] { 1, 1, 1, 1 });
        var y = x.add_(identity).relu_();   // TorchVision's BasicBlock: return x.add_(identity).relu_()
        Assert.Same(x, y);
        Assert.Equal(new float[] { 0, 0.5f, 2, 4 }, x.ToArray<float>());
        Assert.Same(x, x.mul_(2).sub_(1.0).clamp_(0, 5));
        Assert.Equal(new float[] { 0, 0, 3, 5 }, x.ToArray<float>());
    }

    [Fact]
    public void An_in_place_op_in_the_graph_keeps_autograd_on_the_same_tensor()
    {
        using var w = tensor(new float[] { 1, 2, 3 }).requires_grad_();
        using var scope = NewDisposeScope();
        var y = w * 2;
        Assert.Same(y, y.add_(1).sigmoid_());   // y = σ(2w + 1), its grad_fn now sigmoid_'s
        y.sum().backward();
        using var g = w.grad!;
        var expected = new[] { 1f, 2, 3 }.Select(v => { var s = 1 / (1 + MathF.Exp(-(2 * v + 1))); return 2 * s * (1 - s); });
        Assert.Equal(expected.ToArray(), g.ToArray<float>(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Requires_grad_and_detach_in_place_return_the_receiver()
    {
        using var a = zeros(2);
        Assert.Same(a, a.requires_grad_());
        Assert.True(a.requires_grad);
        using var b = a.detach();
        Assert.Same(b, b.requires_grad_(false));
    }

    sealed class FloatTolerance(float eps) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= eps;
        public int GetHashCode(float obj) => 0;
    }
}
