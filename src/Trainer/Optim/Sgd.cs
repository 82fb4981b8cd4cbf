using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Optim;

/// <summary>One parameter group: its own lr, momentum and weight decay (as torch.optim param_groups).</summary>
public sealed class ParamGroup(string name, IReadOnlyList<nn.Parameter> parameters, double weightDecay)
{
    public string Name { get; } = name;
    public IReadOnlyList<nn.Parameter> Params { get; } = parameters;
    public double WeightDecay { get; set; } = weightDecay;
    public double Lr { get; set; }
    public double Momentum { get; set; }
    public double InitialLr { get; set; }
}

/// <summary>torch.optim.SGD (momentum, dampening 0, nesterov, L2 weight decay added to the gradient) over
/// parameter groups. Momentum buffers are the optimiser state saved in checkpoints.</summary>
public sealed class Sgd : IDisposable
{
    readonly Tensor?[][] _buf;
    public IReadOnlyList<ParamGroup> Groups { get; }
    public bool Nesterov { get; }

    public Sgd(IReadOnlyList<ParamGroup> groups, double lr, double momentum, bool nesterov = true)
    {
        Groups = groups;
        Nesterov = nesterov;
        foreach (var g in groups) { g.Lr = lr; g.InitialLr = lr; g.Momentum = momentum; }
        _buf = groups.Select(g => new Tensor?[g.Params.Count]).ToArray();
    }

    public void Step()
    {
        using var _ = no_grad();
        for (var gi = 0; gi < Groups.Count; gi++)
        {
            var g = Groups[gi];
            for (var pi = 0; pi < g.Params.Count; pi++)
            {
                var p = g.Params[pi];
                using var grad = p.grad;
                if (grad is null) continue;
                using var d = g.WeightDecay != 0 ? grad.add(p, g.WeightDecay) : grad.clone();
                if (g.Momentum != 0)
                {
                    var buf = _buf[gi][pi];
                    if (buf is null) _buf[gi][pi] = buf = d.clone().DetachFromDisposeScope();
                    else { buf.mul_(g.Momentum).Dispose(); buf.add_(d).Dispose(); }
                    if (Nesterov) d.add_(buf, g.Momentum).Dispose();
                    else d.copy_(buf).Dispose();
                }
                p.add_(d, -g.Lr).Dispose();
            }
        }
    }

    public void ZeroGrad()
    {
        foreach (var g in Groups)
            foreach (var p in g.Params) p.grad = null;
    }

    /// <summary>Momentum buffers by "group.index" name (absent before the first step).</summary>
    public IEnumerable<(string name, Tensor value)> StateDict()
    {
        for (var gi = 0; gi < Groups.Count; gi++)
            for (var pi = 0; pi < _buf[gi].Length; pi++)
                if (_buf[gi][pi] is { } b) yield return ($"momentum_buffer.{gi}.{pi}", b);
    }

    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state)
    {
        for (var gi = 0; gi < Groups.Count; gi++)
            for (var pi = 0; pi < _buf[gi].Length; pi++)
                if (state.TryGetValue($"momentum_buffer.{gi}.{pi}", out var t))
                {
                    _buf[gi][pi]?.Dispose();
                    _buf[gi][pi] = t.to(Groups[gi].Params[pi].device).clone().DetachFromDisposeScope();
                }
    }

    public void Dispose()
    {
        foreach (var g in _buf) foreach (var b in g) b?.Dispose();
    }
}
