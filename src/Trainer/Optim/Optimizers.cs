using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Optim;

/// <summary>The optimisers a run may ask for, built as ultralytics' build_optimizer does: the three groups of
/// <see cref="Schedule.Groups"/> (decay on weights only), SGD with nesterov momentum, Adam/AdamW with
/// betas (momentum, 0.999).</summary>
public static class Optimizers
{
    /// <summary>Accepted names. "auto" is SGD here (ultralytics' auto picks AdamW for short runs; we keep the
    /// yolov5 recipe (SGD lr0 0.01, momentum 0.937) so sweeps stay comparable).</summary>
    public static readonly IReadOnlyList<string> Names = ["SGD", "Adam", "AdamW", "auto"];

    /// <summary>The canonical spelling of <paramref name="name"/> (case-insensitive), or null when it is not one of <see cref="Names"/>.</summary>
    public static string? Resolve(string? name) =>
        Names.FirstOrDefault(n => string.Equals(n, name?.Trim(), StringComparison.OrdinalIgnoreCase)) is { } n ? (n == "auto" ? "SGD" : n) : null;

    /// <summary>lr0 when the run does not set one: ultralytics default.yaml's advice (SGD 1e-2, Adam 1e-3).</summary>
    public static double DefaultLr0(string name) => Resolve(name) is "Adam" or "AdamW" ? 1e-3 : 1e-2;

    public static string UnknownMessage(string? name) =>
        $"optimizer '{name}' is not supported; valid optimizers: {string.Join(", ", Names)}";

    /// <summary>The optimiser of <paramref name="o"/> over the model's three parameter groups, weight decay
    /// <paramref name="weightDecay"/> on the weight group only.</summary>
    public static optim.Optimizer Build(nn.Module model, OptimOptions o, double weightDecay)
    {
        var name = Resolve(o.Optimizer) ?? throw new ArgumentException(UnknownMessage(o.Optimizer));
        var groups = Schedule.Groups(model, weightDecay);
        return name switch
        {
            "SGD" => new optim.SGD(groups, o.Lr0, o.Momentum, nesterov: true),
            "Adam" => new optim.Adam(groups, o.Lr0, betas: (o.Momentum, 0.999), weight_decay: 0),
            "AdamW" => new optim.AdamW(groups, o.Lr0, betas: (o.Momentum, 0.999), weight_decay: 0),
            _ => throw new InvalidOperationException($"optimizer {name} has a name but no constructor"),
        };
    }
}
