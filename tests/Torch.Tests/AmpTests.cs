using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch.Tests;

public class AmpTests
{
    [Fact]
    public void Autocast_on_cpu_runs_matmul_in_bfloat16_and_restores_the_state_when_nested()
    {
        using var s = NewDisposeScope();
        var a = ones(4, 4);
        var b = ones(4, 4);
        Assert.False(amp.is_autocast_enabled("cpu"));
        using (autocast("cpu"))
        {
            Assert.True(amp.is_autocast_enabled("cpu"));
            var y = a.matmul(b);
            Assert.Equal(ScalarType.BFloat16, y.dtype);
            Assert.Equal(4f, y.@float()[0, 0].item<float>());
            using (autocast("cpu", enabled: false))
                Assert.Equal(ScalarType.Float32, a.matmul(b).dtype);
            Assert.Equal(ScalarType.BFloat16, a.matmul(b).dtype);   // the outer scope is back
            Assert.Equal(ScalarType.Float32, (a + b).dtype);        // not an autocast op: unchanged
        }
        Assert.False(amp.is_autocast_enabled("cpu"));
        Assert.Equal(ScalarType.Float32, a.matmul(b).dtype);
        Assert.Throws<ArgumentException>(() => autocast("tpu"));
    }

    // One parameter p, loss = sum(p * x): the true gradient is x.
    static (nn.Parameter p, Tensor x) Problem()
    {
        using var p0 = tensor(new float[] { 1, 2, 3 });
        return (new nn.Parameter(p0), tensor(new float[] { 0.5f, -1, 2 }).DetachFromDisposeScope());
    }

    [Fact]
    public void GradScaler_unscales_steps_and_grows_the_scale_after_growth_interval_clean_steps()
    {
        var (p, x) = Problem();
        using var opt = new optim.SGD([p], lr: 0.1);
        using var scaler = new amp.GradScaler("cpu", init_scale: 4, growth_interval: 2);
        for (var it = 0; it < 2; it++)
        {
            using var s = NewDisposeScope();
            opt.zero_grad();
            var loss = (p * x).sum();
            var scaled = scaler.scale(loss);
            Assert.Equal(loss.item<float>() * 4, scaled.item<float>());  // the scale grows only in update()
            scaled.backward();
            Assert.Equal(new float[] { 2, -4, 8 }, p.grad!.ToArray<float>());   // scaled by 4
            Assert.True(scaler.step(opt));
            Assert.Equal(new float[] { 0.5f, -1, 2 }, p.grad!.ToArray<float>()); // unscaled before the step
            scaler.update();
            Assert.Equal(it == 0 ? 4 : 8, scaler.get_scale());                    // grows ×2 after 2 clean steps
            Assert.Equal(it == 0 ? 1 : 0, scaler.get_growth_tracker());
        }
        // Two SGD steps of lr·x.
        var after = p.detach().ToArray<float>();
        var expected = new[] { 1 - 0.1 * 0.5 * 2, 2 + 0.1 * 2, 3 - 0.1 * 2 * 2 };
        for (var i = 0; i < 3; i++) Assert.Equal(expected[i], after[i], 1e-6);
    }

    [Fact]
    public void GradScaler_skips_the_step_on_an_inf_gradient_and_backs_off()
    {
        var (p, x) = Problem();
        using var opt = new optim.SGD([p], lr: 0.1);
        using var scaler = new amp.GradScaler("cpu", init_scale: 1024, growth_interval: 3);
        using var s = NewDisposeScope();
        var before = p.detach().ToArray<float>();
        p.grad = tensor(new float[] { 1, float.PositiveInfinity, 1 });
        Assert.False(scaler.step(opt));
        scaler.update();
        Assert.Equal(before, p.detach().ToArray<float>());   // skipped
        Assert.Equal(512, scaler.get_scale());                // × backoff 0.5
        Assert.Equal(0, scaler.get_growth_tracker());
        p.grad = tensor(new float[] { float.NaN, 0, 0 });
        Assert.False(scaler.step(opt));
        scaler.update();
        Assert.Equal(256, scaler.get_scale());
        p.grad = tensor(new float[] { 512, 512, 512 });
        Assert.True(scaler.step(opt));                        // 512 / 256 = 2 per element
        scaler.update();
        Assert.Equal(new float[] { before[0] - 0.2f, before[1] - 0.2f, before[2] - 0.2f }, p.detach().ToArray<float>());
        Assert.Equal(1, scaler.get_growth_tracker());
    }

    [Fact]
    public void GradScaler_enforces_pytorchs_call_order()
    {
        var (p, _) = Problem();
        using var opt = new optim.SGD([p], lr: 0.1);
        using var scaler = new amp.GradScaler("cpu");
        using var s = NewDisposeScope();
        p.grad = ones(3);
        scaler.unscale_(opt);
        Assert.Contains("already been called", Assert.Throws<TorchException>(() => scaler.unscale_(opt)).Message);
        scaler.step(opt);
        Assert.Contains("step() has already been called", Assert.Throws<TorchException>(() => scaler.step(opt)).Message);
        scaler.update();
        Assert.Equal(new Dictionary<string, double> { ["scale"] = 65536, ["growth_factor"] = 2, ["backoff_factor"] = 0.5, ["growth_interval"] = 2000, ["_growth_tracker"] = 1 },
            scaler.state_dict());
    }
}
