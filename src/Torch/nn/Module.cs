using System.Reflection;

namespace YoloSweep.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A trainable tensor owned by a module (never in a dispose scope).</summary>
        public sealed class Parameter : Tensor
        {
            public Parameter(Tensor data, bool requires_grad = true) : base(LeafOf(data, requires_grad))
            {
                DetachFromDisposeScope();
            }

            // A parameter is a leaf: a detached handle to the data, with requires_grad set.
            static IntPtr LeafOf(Tensor data, bool requires_grad)
            {
                using var d = data.detach();
                d.requires_grad_(requires_grad);
                return Native.Check(Native.ys_tensor_alias(d.Handle));
            }
        }

        /// <summary>Base of all modules: parameters, buffers and submodules registered by name so that
        /// <see cref="state_dict"/> keys equal PyTorch's (dotted paths, registration order).</summary>
        public abstract class Module : IDisposable
        {
            readonly List<(string name, Parameter? value)> _parameters = [];
            readonly List<(string name, Tensor? value, bool persistent)> _buffers = [];
            readonly List<(string name, Module value)> _modules = [];

            protected Module(string name) { this.name = name; }

            /// <summary>The module's type name as PyTorch prints it (e.g. "Conv2d").</summary>
            public string name { get; }
            public bool training { get; private set; } = true;

            // ---------------------------------------------------------- registration
            public void register_parameter(string name, Parameter? p) => Set(_parameters, name, p);
            public void register_buffer(string name, Tensor? t, bool persistent = true)
            {
                t?.DetachFromDisposeScope();
                var i = _buffers.FindIndex(b => b.name == name);
                if (i >= 0) _buffers[i] = (name, t, persistent);
                else _buffers.Add((name, t, persistent));
            }
            public void register_module(string name, Module m) => Set(_modules, name, m);

            static void Set<T>(List<(string, T)> list, string name, T value)
            {
                var i = list.FindIndex(e => e.Item1 == name);
                if (i >= 0) list[i] = (name, value);
                else list.Add((name, value));
            }

            /// <summary>Registers every Module, Parameter and Tensor field of the derived class, in declaration
            /// order, under the field's name (a leading underscore is dropped). Fields already registered by
            /// hand keep their registration.</summary>
            protected void RegisterComponents()
            {
                var fields = new List<FieldInfo>();
                for (var t = GetType(); t != null && t != typeof(Module); t = t.BaseType)
                    fields.InsertRange(0, t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                        .OrderBy(f => f.MetadataToken));
                foreach (var f in fields)
                {
                    var n = f.Name.TrimStart('_');
                    if (f.Name.Contains('<')) continue;  // compiler-generated backing fields
                    switch (f.GetValue(this))
                    {
                        case Module m when _modules.All(e => e.name != n): register_module(n, m); break;
                        case Parameter p when _parameters.All(e => e.name != n): register_parameter(n, p); break;
                        case Tensor b when f.FieldType != typeof(Parameter) && _buffers.All(e => e.name != n): register_buffer(n, b); break;
                    }
                }
            }

            // ---------------------------------------------------------- traversal
            public IEnumerable<(string name, Module module)> named_children() => _modules;
            public IEnumerable<Module> children() => _modules.Select(m => m.value);

            public IEnumerable<(string name, Module module)> named_modules(string prefix = "")
            {
                yield return (prefix, this);
                foreach (var (n, m) in _modules)
                    foreach (var e in m.named_modules(prefix.Length == 0 ? n : prefix + "." + n)) yield return e;
            }

            public IEnumerable<Module> modules() => named_modules().Select(m => m.module);

            public IEnumerable<(string name, Parameter parameter)> named_parameters(bool recurse = true)
            {
                var seen = new HashSet<IntPtr>();
                foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
                    foreach (var (n, p) in m._parameters)
                        if (p != null && seen.Add(p.Handle)) yield return (Join(prefix, n), p);
            }

            public IEnumerable<Parameter> parameters(bool recurse = true) => named_parameters(recurse).Select(p => p.parameter);

            public IEnumerable<(string name, Tensor buffer)> named_buffers(bool recurse = true)
            {
                foreach (var (prefix, m) in recurse ? named_modules() : [("", this)])
                    foreach (var (n, b, _) in m._buffers)
                        if (b != null) yield return (Join(prefix, n), b);
            }

            public IEnumerable<Tensor> buffers(bool recurse = true) => named_buffers(recurse).Select(b => b.buffer);

            static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;

            /// <summary>Parameters and persistent buffers in PyTorch's state_dict order: per module (pre-order),
            /// its parameters, then its buffers. Values are the live tensors (no copies).</summary>
            public List<(string name, Tensor value)> state_dict()
            {
                var result = new List<(string, Tensor)>();
                Collect(this, "", result);
                return result;
            }

            static void Collect(Module m, string prefix, List<(string, Tensor)> into)
            {
                foreach (var (n, p) in m._parameters) if (p != null) into.Add((prefix + n, p));
                foreach (var (n, b, persistent) in m._buffers) if (b != null && persistent) into.Add((prefix + n, b));
                foreach (var (n, c) in m._modules) Collect(c, prefix + n + ".", into);
            }

            /// <summary>Copies values into this module's parameters and buffers by name. With strict, a missing or
            /// unexpected key, or a shape mismatch, is an error naming it.</summary>
            public (List<string> missing, List<string> unexpected) load_state_dict(IReadOnlyDictionary<string, Tensor> source, bool strict = true)
            {
                var own = state_dict();
                var missing = new List<string>();
                var errors = new List<string>();
                using (no_grad())
                {
                    foreach (var (n, t) in own)
                    {
                        if (!source.TryGetValue(n, out var src)) { missing.Add(n); continue; }
                        if (!src.shape.SequenceEqual(t.shape))
                        {
                            errors.Add($"'{n}': checkpoint shape [{string.Join(", ", src.shape)}], model shape [{string.Join(", ", t.shape)}]");
                            continue;
                        }
                        using var converted = src.to(t.device, t.dtype);
                        t.copy_(converted);
                    }
                }
                var ownNames = own.Select(e => e.name).ToHashSet();
                var unexpected = source.Keys.Where(k => !ownNames.Contains(k)).ToList();
                if (strict && (missing.Count > 0 || unexpected.Count > 0 || errors.Count > 0))
                    throw new ArgumentException("load_state_dict: " + string.Join("; ",
                        errors.Concat(missing.Select(m => $"missing '{m}'")).Concat(unexpected.Select(u => $"unexpected '{u}'"))));
                if (errors.Count > 0) throw new ArgumentException("load_state_dict: " + string.Join("; ", errors));
                return (missing, unexpected);
            }

            // ---------------------------------------------------------- modes and devices
            public virtual Module train(bool mode = true)
            {
                training = mode;
                foreach (var (_, m) in _modules) m.train(mode);
                return this;
            }

            public Module eval() => train(false);

            /// <summary>Moves parameters and buffers in place (their identity is kept, as in PyTorch).</summary>
            public Module to(Device device, ScalarType? dtype = null)
            {
                using (no_grad())
                    foreach (var m in modules())
                    {
                        foreach (var (_, p) in m._parameters)
                            if (p != null) Move(p, device, dtype);
                        foreach (var (_, b, _) in m._buffers)
                            if (b != null) Move(b, device, b.dtype.IsFloatingPoint() ? dtype : null);
                    }
                return this;
            }

            public Module to(ScalarType dtype) => to(parameters().FirstOrDefault()?.device ?? Device.CPU, dtype);

            /// <summary>Converts floating parameters and buffers to channels_last (4-D ones) in place.</summary>
            public Module to(MemoryFormat format)
            {
                using (no_grad())
                    foreach (var t in parameters().Cast<Tensor>().Concat(buffers()))
                        if (t.dim() == 4)
                        {
                            using var c = t.contiguous(format);
                            t.set_data(c);
                        }
                return this;
            }

            static void Move(Tensor t, Device device, ScalarType? dtype)
            {
                var targetType = dtype ?? t.dtype;
                if (t.device == device && t.dtype == targetType) return;
                using var moved = t.to(device, targetType);
                t.set_data(moved);
            }

            public void zero_grad(bool set_to_none = true)
            {
                foreach (var p in parameters())
                {
                    if (set_to_none) { p.grad = null; continue; }
                    using var g = p.grad;
                    g?.zero_();
                }
            }

            public Module apply(Action<Module> fn)
            {
                foreach (var m in modules().ToList()) fn(m);
                return this;
            }

            public virtual void Dispose()
            {
                foreach (var (_, m) in _modules) m.Dispose();
                foreach (var (_, p) in _parameters) p?.Dispose();
                foreach (var (_, b, _) in _buffers) b?.Dispose();
                GC.SuppressFinalize(this);
            }
        }

        /// <summary>A module with one input and one output, called as <c>m.call(x)</c>.</summary>
        /// <remarks>Each call of a tensor-to-tensor module owns a dispose scope: the tensors its forward creates are
        /// freed when it returns, except the result, which moves to the caller's scope. So a forward reads like its
        /// PyTorch original (<c>return cv3.call(cat([m.call(cv1.call(x)), cv2.call(x)], 1));</c>) and frees its
        /// intermediates as soon as it is done, the way Python's reference counting frees them.</remarks>
        public abstract class Module<T, TResult> : Module
        {
            protected Module(string name) : base(name) { }
            public abstract TResult forward(T input);

            public TResult call(T input)
            {
                if (typeof(TResult) != typeof(Tensor)) return forward(input);
                using var scope = NewDisposeScope();
                var result = forward(input);
                scope.Keep((Tensor)(object)result!);
                return result;
            }
        }
    }
}
