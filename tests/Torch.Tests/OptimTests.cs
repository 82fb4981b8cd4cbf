using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch.Tests;

// Expected numbers: PyTorch 1.13 (/usr/bin/python3, CPU) running the same two steps; the script is in
// tests/data/optim_expected.py.
public class OptimTests
{
    static readonly float[] G1a = [0.1f, -0.2f, 0.3f, 0.05f], G1b = [-0.4f, 0.1f, 0.2f, 0.6f];
    static readonly float[] G2a = [0.7f, -0.3f, 0.01f], G2b = [0.2f, 0.5f, -1.5f];

    static (nn.Parameter p1, nn.Parameter p2) Params()
    {
        using var a = tensor(new float[] { 0.5f, -1.0f, 2.0f, 0.25f }, [2, 2]);
        using var b = tensor(new float[] { 1.0f, -0.5f, 3.0f });
        return (new nn.Parameter(a), new nn.Parameter(b));
    }

    static void SetGrads(nn.Parameter p1, nn.Parameter p2, int k)
    {
        using var g1 = tensor(k == 0 ? G1a : G1b, [2, 2]);
        using var g2 = tensor(k == 0 ? G2a : G2b);
        p1.grad = g1;
        p2.grad = g2;
    }

    static void Close(float[] expected, Tensor actual, double tol = 2e-7)
    {
        var a = actual.detach().flatten().ToArray<float>();
        Assert.Equal(expected.Length, a.Length);
        for (var i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(a[i] - expected[i]) <= tol * Math.Max(1, Math.Abs(expected[i])), $"[{i}] expected {expected[i]:R}, got {a[i]:R}");
    }

    [Fact]
    public void Plain_SGD_step_is_p_minus_lr_times_grad()
    {
        var (p1, p2) = Params();
        using var opt = new optim.SGD([p1, p2], lr: 0.1);
        SetGrads(p1, p2, 0);
        opt.step();
        Close([0.5f - 0.1f * 0.1f, -1.0f + 0.1f * 0.2f, 2.0f - 0.1f * 0.3f, 0.25f - 0.1f * 0.05f], p1);
        Close([0.93f, -0.47f, 2.999f], p2);
    }

    [Fact]
    public void SGD_momentum_nesterov_weight_decay_and_groups_match_formula_and_pytorch()
    {
        var (p1, p2) = Params();
        using var opt = new optim.SGD(
        [
            new optim.ParamGroup([p1], lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01),
            new optim.ParamGroup([p2], lr: 0.05, momentum: 0.8, dampening: 0.1),
        ], lr: 1.0);
        // The formula, in double, for group 1 (momentum 0.8, dampening 0.1, lr 0.05): buf1 = g1, p -= lr·buf1;
        // buf2 = 0.8·buf1 + 0.9·g2, p -= lr·buf2.
        var expected2 = new float[3];
        for (var i = 0; i < 3; i++)
        {
            double p = new[] { 1.0, -0.5, 3.0 }[i], buf = G2a[i];
            p -= 0.05 * buf;
            buf = 0.8 * buf + 0.9 * G2b[i];
            p -= 0.05 * buf;
            expected2[i] = (float)p;
        }
        for (var k = 0; k < 2; k++)
        {
            SetGrads(p1, p2, k);
            opt.step();
            opt.param_groups[0].lr = 0.2;  // a scheduler changing one group's lr between steps
        }
        Close(expected2, p2, 1e-6);
        Close([0.6132158041000366f, -0.9604316353797913f, 1.8039910793304443f, 0.002607893431559205f], p1);
        Close([0.9279999732971191f, -0.49549999833106995f, 3.0666000843048096f], p2);
        var state = opt.state_dict();
        Close([-0.30069950222969055f, -0.09860099107027054f, 0.5073920488357544f, 0.6496502757072449f],
            state.Single(e => e.name == "state.0.momentum_buffer").value);
        Assert.Equal(0.2, state.Single(e => e.name == "param_groups.0.lr").value.item<double>());
    }

    [Fact]
    public void AdamW_two_steps_match_pytorch_including_state()
    {
        var (p1, p2) = Params();
        using var opt = new optim.AdamW(
        [
            new optim.ParamGroup([p1], lr: 0.01, weight_decay: 0.1, beta1: 0.9, beta2: 0.99),
            new optim.ParamGroup([p2], lr: 0.02, weight_decay: 0.0),
        ], lr: 1.0, eps: 1e-6);
        for (var k = 0; k < 2; k++) { SetGrads(p1, p2, k); opt.step(); }
        Close([0.4945944845676422f, -0.9853441715240479f, 1.9763001203536987f, 0.23155632615089417f], p1);
        Close([0.9630244970321655f, -0.485871285200119f, 2.994795083999634f], p2);
        var sd = opt.state_dict().ToDictionary(e => e.name, e => e.value);
        Assert.Equal(2f, sd["state.1.step"].item<float>());
        Close([0.08300000429153442f, 0.023000000044703484f, -0.14910000562667847f], sd["state.1.exp_avg"]);
        Close([0.0005295100272633135f, 0.0003399100387468934f, 0.0022501000203192234f], sd["state.1.exp_avg_sq"]);
    }

    [Fact]
    public void Adam_adds_l2_decay_to_the_gradient_reads_beta1_every_step_and_matches_pytorch()
    {
        var (p1, p2) = Params();
        using var opt = new optim.Adam(
        [
            new optim.ParamGroup([p1], lr: 0.01, weight_decay: 0.1, beta1: 0.8, beta2: 0.999),
            new optim.ParamGroup([p2], lr: 0.02, weight_decay: 0.0),
        ], lr: 1.0, eps: 1e-6);
        for (var k = 0; k < 2; k++)
        {
            SetGrads(p1, p2, k);
            opt.step();
            opt.param_groups[0].beta1 = 0.9;  // as a warm-up schedule changing betas between steps
        }
        Close([0.4915792644023895f, -0.9766237735748291f, 1.9748843908309937f, 0.2310134768486023f], p1);
        // no decay in group 1: Adam and AdamW agree there (same numbers as the AdamW test)
        Close([0.9630244970321655f, -0.485871285200119f, 2.994795083999634f], p2);
        var sd = opt.state_dict().ToDictionary(e => e.name, e => e.value);
        Close([-0.008100001141428947f, -0.05389999970793724f, 0.1298999935388565f, 0.07590000331401825f], sd["state.0.exp_avg"]);
    }

    [Fact]
    public void AdamW_first_step_matches_the_formula()
    {
        // Step 1: m = (1-β1)g, v = (1-β2)g², m̂/√v̂ = g/|g| → p ← p(1 − lr·wd) − lr·g/(|g| + eps·√(1-β2)/…);
        // computed here literally from the update rule in double.
        var (p1, p2) = Params();
        using var opt = new optim.AdamW([p2], lr: 0.02, weight_decay: 0.05, eps: 1e-8);
        SetGrads(p1, p2, 0);
        opt.step();
        var expected = new float[3];
        for (var i = 0; i < 3; i++)
        {
            double p = new[] { 1.0, -0.5, 3.0 }[i], g = G2a[i];
            p *= 1 - 0.02 * 0.05;
            double m = 0.1 * g, v = 0.001 * g * g;
            p -= 0.02 / (1 - 0.9) * m / (Math.Sqrt(v) / Math.Sqrt(1 - 0.999) + 1e-8);
            expected[i] = (float)p;
        }
        Close(expected, p2, 1e-6);
    }

    [Fact]
    public void AdamW_amsgrad_matches_pytorch()
    {
        var (p1, p2) = Params();
        using var opt = new optim.AdamW([p1, p2], lr: 0.01, amsgrad: true);
        for (var k = 0; k < 2; k++) { SetGrads(p1, p2, k); opt.step(); }
        Close([0.4954960346221924f, -0.9871376156806946f, 1.9798974990844727f, 0.2319791316986084f], p1);
        Close([0.9813132286071777f, -0.4928366243839264f, 2.996797561645508f], p2);
    }

    [Fact]
    public void Optimizer_state_dict_round_trips_into_a_fresh_optimizer()
    {
        var (p1, p2) = Params();
        var (q1, q2) = Params();
        using var a = new optim.AdamW([p1, p2], lr: 0.01);
        using var b = new optim.AdamW([q1, q2], lr: 0.5);
        SetGrads(p1, p2, 0); a.step();
        SetGrads(q1, q2, 0); b.step();  // b diverges (different lr) …
        using (var scope = NewDisposeScope())
        {
            b.load_state_dict(a.state_dict().ToDictionary(e => e.name, e => e.value));  // … then takes a's state
            using (no_grad()) { q1.copy_(p1); q2.copy_(p2); }
        }
        Assert.Equal(0.01, b.param_groups[0].lr);
        SetGrads(p1, p2, 1); a.step();
        SetGrads(q1, q2, 1); b.step();
        Close(p1.detach().flatten().ToArray<float>(), q1, 0);
        Close(p2.detach().flatten().ToArray<float>(), q2, 0);
        using var bad = zeros(5);
        var e = Assert.Throws<ArgumentException>(() => b.load_state_dict(new Dictionary<string, Tensor> { ["state.0.exp_avg"] = bad }));
        Assert.Contains("shape [5]", e.Message);
    }

    [Fact]
    public void Bad_hyper_parameters_are_rejected_with_pytorchs_messages()
    {
        var (p1, _) = Params();
        Assert.Contains("Invalid learning rate", Assert.Throws<ArgumentException>(() => new optim.SGD([p1], lr: -1)).Message);
        Assert.Contains("Nesterov", Assert.Throws<ArgumentException>(() => new optim.SGD([p1], lr: 0.1, nesterov: true)).Message);
        Assert.Contains("beta parameter at index 1", Assert.Throws<ArgumentException>(() => new optim.AdamW([p1], betas: (0.9, 1.0))).Message);
    }
}
