using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Optim;

/// <summary>Optimisation recipe (yolov5 hyp.scratch-low / ultralytics default.yaml).</summary>
public sealed record OptimOptions(double Lr0 = 0.01, double Lrf = 0.01, double Momentum = 0.937, double WeightDecay = 5e-4,
    double WarmupEpochs = 3.0, double WarmupMomentum = 0.8, double WarmupBiasLr = 0.1, bool Cosine = false, int NominalBatch = 64,
    double EmaDecay = 0.9999, double EmaTau = 2000, double ClipGradNorm = 10.0, string Optimizer = "SGD");

/// <summary>yolov5 train.py's schedule: lr lambda per epoch (linear or cosine to lrf), warm-up over
/// max(3 epochs, 100 iterations) of bias lr 0.1→lr, other lrs 0→lr, momentum 0.8→0.937, accumulation 1→64/batch.</summary>
public sealed class Schedule(OptimOptions o, int epochs, int batchesPerEpoch, int batchSize)
{
    public int WarmupIters { get; } = o.WarmupEpochs > 0 ? Math.Max((int)Math.Round(o.WarmupEpochs * batchesPerEpoch), 100) : -1;
    public int NominalAccumulate { get; } = Math.Max((int)Math.Round(o.NominalBatch / (double)batchSize), 1);

    /// <summary>Weight decay scaled to the effective batch (batch·accumulate/64).</summary>
    public double WeightDecay => o.WeightDecay * batchSize * NominalAccumulate / o.NominalBatch;

    public double LrFactor(int epoch) => o.Cosine
        ? ((1 - Math.Cos(epoch * Math.PI / epochs)) / 2) * (o.Lrf - 1) + 1
        : (1 - epoch / (double)epochs) * (1.0 - o.Lrf) + o.Lrf;

    /// <summary>Records every group's initial_lr (as torch.optim.lr_scheduler does on construction).</summary>
    public void Start(optim.Optimizer opt)
    {
        foreach (var g in opt.param_groups) g.initial_lr = g.lr;
    }

    /// <summary>Sets every group's lr and momentum for iteration ni (global) in epoch; returns the accumulation.</summary>
    public int Apply(optim.Optimizer opt, int ni, int epoch)
    {
        var lf = LrFactor(epoch);
        if (ni <= WarmupIters)
        {
            var frac = ni / (double)WarmupIters;
            for (var j = 0; j < opt.param_groups.Count; j++)
            {
                var g = opt.param_groups[j];
                var start = j == BiasGroup ? o.WarmupBiasLr : 0.0;
                g.lr = start + frac * (g.initial_lr * lf - start);
                // ultralytics/yolov5 warm momentum only in groups that have a 'momentum' key (SGD): Adam's betas
                // stay (momentum, 0.999) from the first step
                if (opt is optim.SGD) g.momentum = o.WarmupMomentum + frac * (o.Momentum - o.WarmupMomentum);
            }
            return Math.Max(1, (int)Math.Round(1 + frac * (o.NominalBatch / (double)batchSize - 1), MidpointRounding.ToEven));
        }
        foreach (var g in opt.param_groups) { g.lr = g.initial_lr * lf; if (opt is optim.SGD) g.momentum = o.Momentum; }
        return NominalAccumulate;
    }

    /// <summary>Positions of the groups <see cref="Groups"/> returns.</summary>
    public const int BiasGroup = 0, WeightGroup = 1, BnGroup = 2;

    /// <summary>The three groups of yolov5 smart_optimizer: biases (no decay), weights with decay, BN weights (no
    /// decay), in the order <see cref="BiasGroup"/>, <see cref="WeightGroup"/>, <see cref="BnGroup"/>.</summary>
    public static List<optim.ParamGroup> Groups(nn.Module model, double weightDecay)
    {
        var bias = new List<Tensor>();
        var decay = new List<Tensor>();
        var bn = new List<Tensor>();
        foreach (var (prefix, m) in model.named_modules())
            foreach (var (name, p) in m.named_parameters(recurse: false))
            {
                if (!p.requires_grad) continue;
                if (name == "bias") bias.Add(p);
                else if (m is nn.BatchNorm2d) bn.Add(p);  // the zoo's BatchNorm2d derives from it
                else decay.Add(p);
            }
        return [new optim.ParamGroup(bias, weight_decay: 0), new optim.ParamGroup(decay, weight_decay: weightDecay), new optim.ParamGroup(bn, weight_decay: 0)];
    }
}

/// <summary>yolov5 ModelEMA: exponential moving average of every floating state_dict entry, decay ramped as
/// d·(1 − exp(−updates/τ)).</summary>
public sealed class ModelEma : IDisposable
{
    readonly double _decay, _tau;
    public List<(string name, Tensor value)> State { get; }
    public long Updates { get; set; }

    public ModelEma(nn.Module model, double decay = 0.9999, double tau = 2000)
    {
        _decay = decay;
        _tau = tau;
        using var _ = no_grad();
        State = model.state_dict().Select(e => (e.name, e.value.detach().clone().DetachFromDisposeScope())).ToList();
    }

    public void Update(nn.Module model)
    {
        using var _ = no_grad();
        Updates++;
        var d = _decay * (1 - Math.Exp(-Updates / _tau));
        var msd = model.state_dict();
        for (var i = 0; i < State.Count; i++)
        {
            var v = State[i].value;
            if (!v.dtype.IsFloatingPoint()) { v.copy_(msd[i].value); continue; }
            v.mul_(d);
            using var src = msd[i].value.detach();
            v.add_(src, 1 - d);
        }
    }

    /// <summary>Copies the averaged weights into a model of the same architecture (for validation and export).</summary>
    public void CopyTo(nn.Module target)
    {
        using var _ = no_grad();
        var tsd = target.state_dict();
        for (var i = 0; i < State.Count; i++) tsd[i].value.copy_(State[i].value);
    }

    public void Dispose() { foreach (var (_, v) in State) v.Dispose(); }
}
