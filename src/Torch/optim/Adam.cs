namespace YoloSweep.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>torch.optim.AdamW (PyTorch 1.13 semantics): decoupled weight decay p ← p·(1 − lr·weight_decay), then
        /// the Adam update of <see cref="AdamCore"/>.</summary>
        public sealed class AdamW : AdamCore
        {
            public AdamW(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
                double weight_decay = 1e-2, bool amsgrad = false, bool maximize = false)
                : this([new ParamGroup(parameters)], lr, betas, eps, weight_decay, amsgrad, maximize) { }

            public AdamW(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
                double weight_decay = 1e-2, bool amsgrad = false, bool maximize = false)
                : base(groups, lr, betas, eps, weight_decay, amsgrad, maximize, decoupledWeightDecay: true) { }
        }

        /// <summary>torch.optim.Adam (PyTorch 1.13 semantics): L2 weight decay added to the gradient, g ← g + weight_decay·p,
        /// before the moments of <see cref="AdamCore"/>.</summary>
        public sealed class Adam : AdamCore
        {
            public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
                double weight_decay = 0, bool amsgrad = false, bool maximize = false)
                : this([new ParamGroup(parameters)], lr, betas, eps, weight_decay, amsgrad, maximize) { }

            public Adam(IEnumerable<ParamGroup> groups, double lr = 1e-3, (double, double)? betas = null, double eps = 1e-8,
                double weight_decay = 0, bool amsgrad = false, bool maximize = false)
                : base(groups, lr, betas, eps, weight_decay, amsgrad, maximize, decoupledWeightDecay: false) { }
        }

        /// <summary>The update shared by Adam and AdamW (PyTorch 1.13 _multi_tensor_adam/adamw): t ← t + 1;
        /// m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²; p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
        /// (amsgrad: v replaced by its running maximum in the denominator). State per parameter: step (float32
        /// 0-dim, as PyTorch 1.13), exp_avg, exp_avg_sq (max_exp_avg_sq with amsgrad). β1/β2 are read from the
        /// group at every step (ultralytics passes betas=(momentum, 0.999)).</summary>
        public abstract class AdamCore : Optimizer
        {
            readonly bool _decoupled;
            public bool amsgrad { get; }
            public bool maximize { get; }

            protected AdamCore(IEnumerable<ParamGroup> groups, double lr, (double, double)? betas, double eps,
                double weight_decay, bool amsgrad, bool maximize, bool decoupledWeightDecay)
                : base(groups, new ParamGroup([], lr, weight_decay: weight_decay, beta1: (betas ?? (0.9, 0.999)).Item1,
                    beta2: (betas ?? (0.9, 0.999)).Item2, eps: eps, momentum: 0, dampening: 0, nesterov: false))
            {
                this.amsgrad = amsgrad;
                this.maximize = maximize;
                _decoupled = decoupledWeightDecay;
            }

            protected sealed override void Validate(ParamGroup g)
            {
                if (g.lr < 0) throw new ArgumentException($"Invalid learning rate: {g.lr}");
                if (g.eps < 0) throw new ArgumentException($"Invalid epsilon value: {g.eps}");
                if (g.beta1 is < 0 or >= 1) throw new ArgumentException($"Invalid beta parameter at index 0: {g.beta1}");
                if (g.beta2 is < 0 or >= 1) throw new ArgumentException($"Invalid beta parameter at index 1: {g.beta2}");
                if (g.weight_decay < 0) throw new ArgumentException($"Invalid weight_decay value: {g.weight_decay}");
            }

            protected sealed override void Step(ParamGroup g, Tensor[] ps, Tensor[] grads)
            {
                if (maximize) grads = Op.CallMany("aten::_foreach_neg", grads);
                var states = ps.Select(StateOf).ToArray();
                for (var i = 0; i < ps.Length; i++)
                {
                    var s = states[i];
                    if (s.ContainsKey("step")) continue;
                    s["step"] = Keep(scalar_tensor(0, ScalarType.Float32, ps[i].device));
                    s["exp_avg"] = Keep(zeros_like(ps[i]));
                    s["exp_avg_sq"] = Keep(zeros_like(ps[i]));
                    if (amsgrad) s["max_exp_avg_sq"] = Keep(zeros_like(ps[i]));
                }
                var steps = states.Select(s => s["step"]).ToArray();
                var m = states.Select(s => s["exp_avg"]).ToArray();
                var v = states.Select(s => s["exp_avg_sq"]).ToArray();

                Op.Run("aten::_foreach_add_.Scalar", steps, 1.0);
                if (g.weight_decay != 0)
                {
                    if (_decoupled) Op.Run("aten::_foreach_mul_.Scalar", ps, 1 - g.lr * g.weight_decay);
                    else grads = Op.CallMany("aten::_foreach_add.List", grads, ps, g.weight_decay);
                }
                Op.Run("aten::_foreach_mul_.Scalar", m, g.beta1);
                Op.Run("aten::_foreach_add_.List", m, grads, 1 - g.beta1);
                Op.Run("aten::_foreach_mul_.Scalar", v, g.beta2);
                Op.Run("aten::_foreach_addcmul_.Scalar", v, grads, grads, 1 - g.beta2);

                // Bias corrections in double from each parameter's own step count, as PyTorch's step.item().
                var stepSizes = new double[ps.Length];
                var bc2Sqrt = new double[ps.Length];
                for (var i = 0; i < ps.Length; i++)
                {
                    var t = steps[i].item<float>();
                    stepSizes[i] = -(g.lr / (1 - Math.Pow(g.beta1, t)));
                    bc2Sqrt[i] = Math.Sqrt(1 - Math.Pow(g.beta2, t));
                }
                Tensor[] denom;
                if (amsgrad)
                {
                    var vmax = states.Select(s => s["max_exp_avg_sq"]).ToArray();
                    for (var i = 0; i < ps.Length; i++) vmax[i].copy_(vmax[i].maximum(v[i]));
                    denom = Op.CallMany("aten::_foreach_sqrt", vmax);
                }
                else denom = Op.CallMany("aten::_foreach_sqrt", v);
                Op.Run("aten::_foreach_div_.ScalarList", denom, bc2Sqrt);
                Op.Run("aten::_foreach_add_.Scalar", denom, g.eps);
                Op.Run("aten::_foreach_addcdiv_.ScalarList", ps, m, denom, stepSizes);
            }
        }
    }
}
