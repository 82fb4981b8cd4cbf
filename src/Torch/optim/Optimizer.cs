namespace YoloSweep.Torch;

public static partial class torch
{
    public static partial class optim
    {
        /// <summary>A group of parameters with its own hyper-parameters, as an entry of PyTorch's
        /// optimizer.param_groups. Fields are read at every step, so a scheduler may change lr, momentum, betas
        /// or weight_decay between steps. A field left NaN (null for flags) takes the optimizer's default.</summary>
        public sealed class ParamGroup
        {
            public ParamGroup(IEnumerable<Tensor> parameters, double lr = double.NaN, double momentum = double.NaN,
                double dampening = double.NaN, double weight_decay = double.NaN, bool? nesterov = null,
                double beta1 = double.NaN, double beta2 = double.NaN, double eps = double.NaN)
            {
                this.parameters = parameters.ToList();
                (this.lr, this.momentum, this.dampening, this.weight_decay, _nesterov) = (lr, momentum, dampening, weight_decay, nesterov);
                (this.beta1, this.beta2, this.eps) = (beta1, beta2, eps);
            }

            public IReadOnlyList<Tensor> parameters { get; }
            public double lr, momentum, dampening, weight_decay, beta1, beta2, eps;
            bool? _nesterov;
            public bool nesterov { get => _nesterov ?? false; set => _nesterov = value; }
            /// <summary>The lr a scheduler started from (PyTorch's 'initial_lr'); NaN until one sets it.</summary>
            public double initial_lr = double.NaN;

            internal void FillDefaults(ParamGroup d)
            {
                static double Or(double v, double dflt) => double.IsNaN(v) ? dflt : v;
                lr = Or(lr, d.lr); momentum = Or(momentum, d.momentum); dampening = Or(dampening, d.dampening);
                weight_decay = Or(weight_decay, d.weight_decay); beta1 = Or(beta1, d.beta1); beta2 = Or(beta2, d.beta2);
                eps = Or(eps, d.eps);
                _nesterov ??= d._nesterov;
            }

            internal IEnumerable<(string key, double value)> Hyper() =>
            [
                ("lr", lr), ("momentum", momentum), ("dampening", dampening), ("weight_decay", weight_decay),
                ("nesterov", nesterov ? 1 : 0), ("beta1", beta1), ("beta2", beta2), ("eps", eps), ("initial_lr", initial_lr),
            ];

            internal void SetHyper(string key, double v)
            {
                switch (key)
                {
                    case "lr": lr = v; break;
                    case "momentum": momentum = v; break;
                    case "dampening": dampening = v; break;
                    case "weight_decay": weight_decay = v; break;
                    case "nesterov": nesterov = v != 0; break;
                    case "beta1": beta1 = v; break;
                    case "beta2": beta2 = v; break;
                    case "eps": eps = v; break;
                    case "initial_lr": initial_lr = v; break;
                    default: throw new ArgumentException($"optimizer state_dict: unknown param_groups key '{key}'");
                }
            }
        }

        /// <summary>Base of SGD and AdamW: parameter groups, per-parameter state tensors and PyTorch-shaped
        /// state_dict names ("state.{i}.{key}" with i the parameter's position over all groups, and
        /// "param_groups.{g}.{key}").</summary>
        public abstract class Optimizer : IDisposable
        {
            readonly List<ParamGroup> _groups = [];
            readonly ParamGroup _defaults;
            // Per-parameter state tensors by key (momentum_buffer, step, exp_avg, …), owned by the optimizer.
            protected readonly Dictionary<Tensor, Dictionary<string, Tensor>> State = new(ReferenceEqualityComparer.Instance);

            protected Optimizer(IEnumerable<ParamGroup> groups, ParamGroup defaults)
            {
                _defaults = defaults;
                foreach (var g in groups) add_param_group(g);
                if (_groups.Count == 0) throw new ArgumentException("optimizer got an empty parameter list");
            }

            public IReadOnlyList<ParamGroup> param_groups => _groups;

            public void add_param_group(ParamGroup group)
            {
                group.FillDefaults(_defaults);
                Validate(group);
                var seen = _groups.SelectMany(g => g.parameters).ToHashSet(ReferenceEqualityComparer.Instance);
                if (group.parameters.Any(p => seen.Contains(p)))
                    throw new ArgumentException("some parameters appear in more than one parameter group");
                _groups.Add(group);
            }

            protected abstract void Validate(ParamGroup g);

            /// <summary>Applies one update to every parameter that has a gradient.</summary>
            public void step()
            {
                using var scope = NewDisposeScope();
                using var _ = no_grad();
                foreach (var g in _groups)
                {
                    var ps = new List<Tensor>();
                    var grads = new List<Tensor>();
                    foreach (var p in g.parameters)
                    {
                        var grad = p.grad;
                        if (grad is null) continue;
                        ps.Add(p);
                        grads.Add(grad);
                    }
                    if (ps.Count > 0) Step(g, ps.ToArray(), grads.ToArray());
                }
            }

            /// <summary>One update of a group's parameters that have gradients (inside no_grad and a dispose scope:
            /// state tensors that must survive are detached from it by <see cref="Keep"/>).</summary>
            protected abstract void Step(ParamGroup g, Tensor[] ps, Tensor[] grads);

            protected Dictionary<string, Tensor> StateOf(Tensor p) =>
                State.TryGetValue(p, out var s) ? s : State[p] = new Dictionary<string, Tensor>();

            protected static Tensor Keep(Tensor t) => t.DetachFromDisposeScope();

            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in _groups.SelectMany(g => g.parameters))
                {
                    if (set_to_none) { p.grad = null; continue; }
                    using var gr = p.grad;
                    gr?.zero_();
                }
            }

            /// <summary>State tensors (live, owned by the optimizer) and hyper-parameters (new 0-dim float64
            /// tensors, owned by the caller's dispose scope) under PyTorch-like names.</summary>
            public List<(string name, Tensor value)> state_dict()
            {
                var result = new List<(string, Tensor)>();
                var i = 0;
                foreach (var g in _groups)
                    foreach (var p in g.parameters)
                    {
                        if (State.TryGetValue(p, out var s))
                            foreach (var (k, t) in s.OrderBy(e => e.Key, StringComparer.Ordinal)) result.Add(($"state.{i}.{k}", t));
                        i++;
                    }
                for (var gi = 0; gi < _groups.Count; gi++)
                    foreach (var (k, v) in _groups[gi].Hyper())
                        result.Add(($"param_groups.{gi}.{k}", scalar_tensor(v, ScalarType.Float64)));
                return result;
            }

            /// <summary>Restores state and hyper-parameters saved by <see cref="state_dict"/> from an optimizer
            /// over parameters of the same shapes and order.</summary>
            public void load_state_dict(IReadOnlyDictionary<string, Tensor> source)
            {
                var flat = _groups.SelectMany(g => g.parameters).ToList();
                using var _ = no_grad();
                foreach (var (name, value) in source)
                {
                    var parts = name.Split('.');
                    if (parts.Length == 3 && parts[0] == "state" && int.TryParse(parts[1], out var i))
                    {
                        if (i < 0 || i >= flat.Count)
                            throw new ArgumentException($"optimizer state_dict: '{name}' names parameter {i}, the optimizer has {flat.Count}");
                        var p = flat[i];
                        if (parts[2] != "step" && !value.shape.SequenceEqual(p.shape))
                            throw new ArgumentException($"optimizer state_dict: '{name}' has shape [{string.Join(", ", value.shape)}], parameter {i} has [{string.Join(", ", p.shape)}]");
                        var s = StateOf(p);
                        if (s.Remove(parts[2], out var old)) old.Dispose();
                        var dtype = parts[2] == "step" ? value.dtype : p.dtype;
                        using var moved = value.to(p.device, dtype, false);
                        s[parts[2]] = moved.clone().DetachFromDisposeScope();
                    }
                    else if (parts.Length == 3 && parts[0] == "param_groups" && int.TryParse(parts[1], out var gi))
                    {
                        if (gi < 0 || gi >= _groups.Count)
                            throw new ArgumentException($"optimizer state_dict: '{name}' names group {gi}, the optimizer has {_groups.Count}");
                        _groups[gi].SetHyper(parts[2], value.item<double>());
                    }
                    else throw new ArgumentException($"optimizer state_dict: unexpected key '{name}'");
                }
                OnStateLoaded();
            }

            protected virtual void OnStateLoaded() { }

            public virtual void Dispose()
            {
                foreach (var s in State.Values)
                    foreach (var t in s.Values) t.Dispose();
                State.Clear();
                GC.SuppressFinalize(this);
            }
        }
    }
}
