using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Torch.Tests;

// Autograd against central finite differences in float64 (PyTorch gradcheck's eps 1e-6, atol 1e-5, rtol 1e-3),
// on the scalar sum(f(inputs) · w) with a fixed random w, so every input element's gradient is checked.
public class GradcheckTests
{
    static void Gradcheck(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1234);
        var xs = inputs.Select(t => t.to(ScalarType.Float64).detach().requires_grad_()).ToArray();
        var w = rand(f(xs).shape, g, ScalarType.Float64) - 0.5;
        (f(xs) * w).sum().backward();
        const double eps = 1e-6;
        for (var k = 0; k < xs.Length; k++)
        {
            var analytic = xs[k].grad!.flatten().ToArray<double>();
            var flat = xs[k].detach().view(-1);   // shares xs[k]'s storage
            for (var i = 0; i < analytic.Length; i++)
            {
                using var inner = NewDisposeScope();
                using var noGrad = no_grad();
                var orig = flat[i].item<double>();
                flat[i] = full([], orig + eps, ScalarType.Float64);
                var plus = (f(xs) * w).sum().item<double>();
                flat[i] = full([], orig - eps, ScalarType.Float64);
                var minus = (f(xs) * w).sum().item<double>();
                flat[i] = full([], orig, ScalarType.Float64);
                var numeric = (plus - minus) / (2 * eps);
                Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-5 + 1e-3 * Math.Abs(numeric),
                    $"input {k} element {i}: autograd {analytic[i]:G9}, finite difference {numeric:G9}");
            }
        }
    }

    static Tensor R(Generator g, params long[] shape) => rand(shape, g, ScalarType.Float64) * 2 - 1;

    [Fact]
    public void Conv2d_with_groups_stride_dilation_padding()
    {
        using var g = new Generator(1);
        using var s = NewDisposeScope();
        Gradcheck(a => F.conv2d(a[0], a[1], a[2], stride: [2, 1], padding: [1, 2], dilation: [2, 1], groups: 2),
            R(g, 1, 4, 6, 5), R(g, 4, 2, 3, 2), R(g, 4));
    }

    [Fact]
    public void Batch_norm_in_training_mode()
    {
        using var g = new Generator(2);
        using var s = NewDisposeScope();
        Gradcheck(a => F.batch_norm(a[0], null, null, a[1], a[2], training: true), R(g, 3, 2, 2, 2), R(g, 2), R(g, 2));
    }

    [Fact]
    public void Grid_sample_bilinear_wrt_input_and_grid()
    {
        using var g = new Generator(3);
        using var s = NewDisposeScope();
        Gradcheck(a => F.grid_sample(a[0], a[1], align_corners: false), R(g, 1, 2, 4, 4), R(g, 1, 3, 2, 2) * 0.9);
    }

    [Fact]
    public void Interpolate_nearest_and_bilinear()
    {
        using var g = new Generator(4);
        using var s = NewDisposeScope();
        Gradcheck(a => F.interpolate(a[0], scale_factor: [2.0], mode: "nearest"), R(g, 1, 2, 3, 3));
        Gradcheck(a => F.interpolate(a[0], size: [5, 4], mode: "bilinear", align_corners: false), R(g, 1, 2, 3, 3));
    }

    [Fact]
    public void Silu_softmax_and_gather()
    {
        using var g = new Generator(5);
        using var s = NewDisposeScope();
        Gradcheck(a => F.silu(a[0]), R(g, 3, 4) * 3);
        Gradcheck(a => F.softmax(a[0], 1), R(g, 3, 4) * 2);
        var index = tensor(new long[] { 0, 3, 3, 1, 2, 2 }, [3, 2]);
        Gradcheck(a => a[0].gather(1, index), R(g, 3, 4));
    }

    [Fact]
    public void The_check_itself_catches_a_wrong_gradient()
    {
        // x.detach() * x has gradient x, not 2x: the finite difference must disagree.
        using var g = new Generator(6);
        using var s = NewDisposeScope();
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => Gradcheck(a => a[0].detach() * a[0], R(g, 3) + 2));
    }
}
