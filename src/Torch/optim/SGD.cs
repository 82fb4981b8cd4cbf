namespace YoloSweep.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>torch.optim.SGD (PyTorch 1.13 semantics): g ← grad (+ weight_decay·p); with momentum
        /// buf ← g on the first step, else buf ← momentum·buf + (1 − dampening)·g; g ← g + momentum·buf (nesterov)
        /// or buf; p ← p − lr·g. Uses the fused _foreach_ ops (one dispatcher call per group and phase).</summary>
        public sealed class SGD : Optimizer
        {
            public bool maximize { get; }

            public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double dampening = 0,
                double weight_decay = 0, bool nesterov = false, bool maximize = false)
                : this([new ParamGroup(parameters)], lr, momentum, dampening, weight_decay, nesterov, maximize) { }

            public SGD(IEnumerable<ParamGroup> groups, double lr, double momentum = 0, double dampening = 0,
                double weight_decay = 0, bool nesterov = false, bool maximize = false)
                : base(groups, new ParamGroup([], lr, momentum, dampening, weight_decay, nesterov))
            {
                this.maximize = maximize;
            }

            protected override void Validate(ParamGroup g)
            {
                if (g.lr < 0) throw new ArgumentException($"Invalid learning rate: {g.lr}");
                if (g.momentum < 0) throw new ArgumentException($"Invalid momentum value: {g.momentum}");
                if (g.weight_decay < 0) throw new ArgumentException($"Invalid weight_decay value: {g.weight_decay}");
                if (g.nesterov && (g.momentum <= 0 || g.dampening != 0))
                    throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
            }

            protected override void Step(ParamGroup g, Tensor[] ps, Tensor[] grads)
            {
                if (maximize) grads = Op.CallMany("aten::_foreach_neg", grads);
                if (g.weight_decay != 0) grads = Op.CallMany("aten::_foreach_add.List", grads, ps, g.weight_decay);
                if (g.momentum != 0)
                {
                    var states = ps.Select(StateOf).ToArray();
                    if (states.All(s => s.ContainsKey("momentum_buffer")))
                    {
                        var bufs = states.Select(s => s["momentum_buffer"]).ToArray();
                        Op.Run("aten::_foreach_mul_.Scalar", bufs, g.momentum);
                        Op.Run("aten::_foreach_add_.List", bufs, grads, 1 - g.dampening);
                    }
                    else
                    {
                        for (var i = 0; i < ps.Length; i++)
                        {
                            if (states[i].TryGetValue("momentum_buffer", out var buf))
                                buf.mul_(g.momentum).add_(grads[i], 1 - g.dampening);
                            else states[i]["momentum_buffer"] = Keep(grads[i].clone().detach());
                        }
                    }
                    var buffers = states.Select(s => s["momentum_buffer"]).ToArray();
                    // Out of place: PyTorch's foreach path would add into .grad itself here; the result is the same.
                    grads = g.nesterov ? Op.CallMany("aten::_foreach_add.List", grads, buffers, g.momentum) : buffers;
                }
                Op.Run("aten::_foreach_add_.List", ps, grads, -g.lr);
            }
        }
    }
}
