using YoloSweep.Models;
using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;
using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Models.Tests;

/// <summary>DSConv's weight decomposition on cases checkable by hand, and its straight-through gradient.</summary>
public class DSConvTests
{
    static float[] Quantize(float[] v, long[] shape, long block, int bits)
    {
        using var w = tensor(v, shape);
        using var q = DSConv.Quantize(w, block, bits);
        return q.ToArray<float>();
    }

    [Fact]
    public void One_block_of_four_4bit_converges_to_the_L2_optimal_scale_in_float32()
    {
        // v = [1, .5, -.25, .1], qmax 7: α₀ = 1/7 (float32 0.14285715), and .5/α₀ = 3.4999998 in float32 → 3 (not 3.5 → 4):
        // q = [7, 3, -2, 1]; α = Σvq/Σq² = 9.1/63; q stays [7, 3, -2, 1]; ŵ = α·q.
        var got = Quantize([1f, 0.5f, -0.25f, 0.1f], [1, 4, 1, 1], 4, 4);
        var alpha = (float)((1.0 * 7 + 0.5 * 3 + -0.25 * -2 + (double)0.1f * 1) / 63.0);
        Assert.Equal(new[] { alpha * 7, alpha * 3, alpha * -2, alpha * 1 }, got);
    }

    [Fact]
    public void Rounding_is_half_to_even_and_q_is_clamped_to_the_bit_range()
    {
        // bits 3 (q ∈ −4…3), v = [3, 1.5, .5, 0]: α₀ = 1 exactly → q = [3, 2, 0, 0] (1.5 → 2, .5 → 0: half to even);
        // α = 12/13 → v/α = [3.25, 1.625, .54, 0] → q = [3 (clamped), 2, 1, 0]; α = 12.5/14, then stable.
        var got = Quantize([3f, 1.5f, 0.5f, 0f], [1, 4, 1, 1], 4, 3);
        var alpha = (float)(12.5 / 14.0);
        Assert.Equal(new[] { alpha * 3, alpha * 2, alpha * 1, 0f }, got);
    }

    [Fact]
    public void A_weight_that_rounds_to_minus_zero_quantises_to_plus_zero_as_the_integer_kernel_does()
    {
        // v = [1, −.01, .3, 0], 4 bits: α₀ = 1/7, −.01/α = −0.07 rounds to −0.0 in float32; the reference converts q to
        // int8 before ŵ = α·q, so ŵ holds +0.0 there, bit for bit
        var got = Quantize([1f, -0.01f, 0.3f, 0f], [1, 4, 1, 1], 4, 4);
        Assert.Equal(0, BitConverter.SingleToInt32Bits(got[1]));
        Assert.Equal(0, BitConverter.SingleToInt32Bits(got[3]));
        // and over a random weight, no zero of ŵ carries the sign bit
        manual_seed(3);
        using var w = randn(8, 40, 3, 3) * 0.1;
        using var q = DSConv.Quantize(w, 8, 4);
        var values = q.ToArray<float>();
        Assert.Contains(values, v => v == 0);
        Assert.DoesNotContain(values, v => v == 0 && float.IsNegative(v));
    }

    [Fact]
    public void Blocks_of_B_input_channels_have_their_own_scale_and_the_last_block_is_shorter()
    {
        // I = 5, B = 2, bits 2 (q ∈ {−2…1}): blocks [1, −1] → α 1; [.3, .1] → q [1, 0], α .3; [2] → α 2; a zero row stays 0.
        var got = Quantize([1f, -1f, 0.3f, 0.1f, 2f, 0f, 0f, 0f, 0f, 0f], [2, 5, 1, 1], 2, 2);
        Assert.Equal(new[] { 1f, -1f, 0.3f, 0f, 2f, 0f, 0f, 0f, 0f, 0f }, got);
    }

    [Fact]
    public void Scales_are_per_kernel_position()
    {
        // weight (1, 2, 1, 2): position kw=0 holds [4, 2], kw=1 holds [1, -1]; bits 3 (qmax 3)
        // kw=0: α₀ = 4/3, q = [3, round(1.5)=2], α = (12+4)/13, q stays → ŵ = α·[3, 2]; kw=1: α₀ = 1/3, q = [3, −3], α = 1/3
        var got = Quantize([4f, 1f, 2f, -1f], [1, 2, 1, 2], 32, 3);
        var a0 = (float)(16.0 / 13.0);
        var a1 = (float)(6.0 / 18.0);
        Assert.Equal(new[] { a0 * 3, a1 * 3, a0 * 2, a1 * -3 }, got);
    }

    [Fact]
    public void Bits_zero_is_the_seeds_plain_convolution_and_block_size_matters_otherwise()
    {
        manual_seed(1);
        using var x = randn(1, 64, 8, 8);
        using var plain = new DSConv(64, 8, [3, 3], bits: 0);
        using var y0 = plain.call(x);
        using var ref0 = F.conv2d(x, plain.weight, null, [1, 1], [1, 1]);
        Assert.True(y0.equal(ref0));
        using var b8 = new DSConv(64, 8, [3, 3], block_size: 8, bits: 4);
        using var b32 = new DSConv(64, 8, [3, 3], block_size: 32, bits: 4);
        using (no_grad()) b32.weight.copy_(b8.weight);
        using var y8 = b8.call(x);
        using var y32 = b32.call(x);
        using var d = (y8 - y32).abs().max();
        Assert.True(d.item<float>() > 1e-4f);
    }

    [Fact]
    public void Gradient_passes_straight_through_to_the_float_weights()
    {
        manual_seed(2);
        using var x = randn(2, 16, 6, 6);
        using var conv = new DSConv(16, 4, [3, 3], block_size: 8, bits: 4);
        using var y = conv.call(x);
        using var loss = (y * y).sum();
        loss.backward();
        using var g = conv.weight.grad!;
        // the same loss with ŵ as a leaf: ∂L/∂ŵ must equal what reached the float weights
        using var wq = DSConv.Quantize(conv.weight, 8, 4);
        using var leaf = wq.detach().requires_grad_(true);
        using var y2 = F.conv2d(x, leaf, null, [1, 1], [1, 1]);
        Assert.True(y2.equal(y));
        using var loss2 = (y2 * y2).sum();
        loss2.backward();
        using var g2 = leaf.grad!;
        Assert.True(g.allclose(g2, 1e-6, 1e-6));
    }

    [Fact]
    public void C2f_DSConv_has_exactly_C2f_parameter_count()
    {
        using var a = new C2f_DSConv(256, 128, 2, true);
        using var b = new C2f(256, 128, 2, true);
        Assert.Equal(b.parameters().Sum(p => p.numel()), a.parameters().Sum(p => p.numel()));
        Assert.Equal(b.state_dict().Select(e => e.name), a.state_dict().Select(e => e.name));
    }
}
