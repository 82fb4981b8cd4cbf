namespace YoloSweep.Torch;

public static partial class torch
{
    /// <summary>torch.autocast: within the scope, autocast-eligible ops (conv, matmul, linear…) on that device type
    /// run in the lower precision dtype (CUDA default float16, CPU default bfloat16).</summary>
    public static IDisposable autocast(string device_type, ScalarType? dtype = null, bool enabled = true) =>
        amp.autocast(device_type, dtype, enabled);

    /// <summary>Automatic mixed precision: autocast scopes and the gradient scaler.</summary>
    public static class amp
    {
        /// <summary>As <c>with torch.autocast(device_type, dtype, enabled)</c>: sets the autocast state of that
        /// device type on this thread, and on dispose restores it; the outermost scope also clears the cast cache
        /// (PyTorch's __exit__). Nesting and enabled=false inside an enabled scope behave as in PyTorch.</summary>
        public static IDisposable autocast(string device_type, ScalarType? dtype = null, bool enabled = true)
        {
            var type = device_type.Trim().ToLowerInvariant() switch
            {
                "cuda" => DeviceType.CUDA,
                "cpu" => DeviceType.CPU,
                _ => throw new ArgumentException($"autocast: device_type must be 'cuda' or 'cpu', got '{device_type}'"),
            };
            return new AutocastScope(type, dtype ?? (type == DeviceType.CUDA ? ScalarType.Float16 : ScalarType.BFloat16), enabled);
        }

        /// <summary>Whether autocast is on for that device type on this thread.</summary>
        public static bool is_autocast_enabled(string device_type = "cuda") =>
            Native.ys_autocast_enabled((int)Device.Parse(device_type).type) != 0;

        sealed class AutocastScope : IDisposable
        {
            readonly DeviceType _type;
            readonly bool _prevEnabled;
            readonly int _prevDtype;
            bool _done;

            public AutocastScope(DeviceType type, ScalarType dtype, bool enabled)
            {
                _type = type;
                _prevEnabled = Native.ys_autocast_enabled((int)type) != 0;
                _prevDtype = Native.ys_autocast_dtype((int)type);
                if (Native.ys_autocast_set((int)type, enabled ? 1 : 0, (int)dtype) < 0) Native.Throw();
                Native.ys_autocast_increment_nesting();
            }

            public void Dispose()
            {
                if (_done) return;
                _done = true;
                // Cached fp16/bf16 copies of weights live until the outermost autocast exits.
                if (Native.ys_autocast_decrement_nesting() == 0) Native.ys_autocast_clear_cache();
                Native.ys_autocast_set((int)_type, _prevEnabled ? 1 : 0, _prevDtype);
            }
        }

        /// <summary>torch.cuda.amp.GradScaler with PyTorch's semantics: <see cref="scale"/> multiplies the loss by
        /// the scale; <see cref="unscale_"/> divides an optimizer's gradients by it and records whether any is
        /// inf/NaN; <see cref="step"/> unscales if needed and skips the optimizer step when one was; <see cref="update"/>
        /// multiplies the scale by backoff_factor after a skipped step, or by growth_factor after growth_interval
        /// clean steps in a row. Uses the fused ATen ops (_amp_foreach_non_finite_check_and_unscale_,
        /// _amp_update_scale_) where the device has them (CUDA; CPU from libtorch 2.x) and the same arithmetic
        /// composed from plain ops otherwise (CPU libtorch 1.13).</summary>
        public sealed class GradScaler : IDisposable
        {
            enum Stage { Ready, Unscaled, Stepped }
            sealed class PerOptimizer { public Stage stage; public List<Tensor> found_inf = []; }

            readonly Device _device;
            Tensor? _scale, _growthTracker;
            readonly Dictionary<optim.Optimizer, PerOptimizer> _perOptimizer = new(ReferenceEqualityComparer.Instance);
            double _initScale;
            public double growth_factor { get; set; }
            public double backoff_factor { get; set; }
            public long growth_interval { get; set; }
            public bool enabled { get; }

            public GradScaler(string device = "cuda", double init_scale = 65536.0, double growth_factor = 2.0,
                double backoff_factor = 0.5, long growth_interval = 2000, bool enabled = true)
            {
                if (growth_factor <= 1) throw new ArgumentException("The growth factor must be > 1.0.");
                if (backoff_factor >= 1) throw new ArgumentException("The backoff factor must be < 1.0.");
                _device = Device.Parse(device);
                (_initScale, this.growth_factor, this.backoff_factor, this.growth_interval, this.enabled) =
                    (init_scale, growth_factor, backoff_factor, growth_interval, enabled);
            }

            void LazyInit()
            {
                if (_scale != null) return;
                using var _ = NewDisposeScope();
                _scale = full([1], _initScale, ScalarType.Float32, _device).DetachFromDisposeScope();
                _growthTracker = zeros([1], ScalarType.Int32, _device).DetachFromDisposeScope();
            }

            /// <summary>outputs × scale (a new tensor); outputs unchanged when disabled (returned as a new handle).</summary>
            public Tensor scale(Tensor outputs)
            {
                if (!enabled) return outputs.alias();
                LazyInit();
                using var s = _scale!.to(outputs.device);
                return outputs.mul(s);
            }

            /// <summary>Divides the gradients of the optimizer's parameters by the scale in place and records
            /// whether any was inf/NaN. At most once per optimizer between update() calls.</summary>
            public void unscale_(optim.Optimizer optimizer)
            {
                if (!enabled) return;
                var st = StateOf(optimizer);
                if (st.stage == Stage.Unscaled) throw new TorchException("unscale_() has already been called on this optimizer since the last update().");
                if (st.stage == Stage.Stepped) throw new TorchException("unscale_() is being called after step().");
                LazyInit();
                using (no_grad())
                using (NewDisposeScope())
                {
                    using var invDouble = _scale!.@double().reciprocal();
                    var inv = invDouble.@float();
                    var byDevice = new Dictionary<(Device, ScalarType), List<Tensor>>();
                    foreach (var p in optimizer.param_groups.SelectMany(g => g.parameters))
                    {
                        var g = p.grad;
                        if (g is null) continue;
                        if (g.dtype == ScalarType.Float16) throw new TorchException("Attempting to unscale FP16 gradients.");
                        var key = (g.device, g.dtype);
                        if (!byDevice.TryGetValue(key, out var list)) byDevice[key] = list = [];
                        list.Add(g);
                    }
                    var foundPerDevice = new Dictionary<Device, Tensor>();
                    foreach (var ((device, _), grads) in byDevice)
                    {
                        if (!foundPerDevice.TryGetValue(device, out var found))
                            foundPerDevice[device] = found = full([1], 0.0, ScalarType.Float32, device).DetachFromDisposeScope();
                        var invHere = inv.to(device);
                        NonFiniteCheckAndUnscale(grads.ToArray(), found, invHere);
                    }
                    st.found_inf.AddRange(foundPerDevice.Values);
                }
                st.stage = Stage.Unscaled;
            }

            static readonly HashSet<DeviceType> s_noFusedUnscale = [], s_noFusedUpdate = [];

            static void NonFiniteCheckAndUnscale(Tensor[] grads, Tensor found, Tensor inv)
            {
                var type = found.device.type;
                if (!s_noFusedUnscale.Contains(type))
                {
                    try { Op.Run("aten::_amp_foreach_non_finite_check_and_unscale_", grads, found, inv); return; }
                    catch (TorchException e) when (e.Message.Contains("Could not run")) { lock (s_noFusedUnscale) s_noFusedUnscale.Add(type); }
                }
                // The fused kernel's contract: found_inf := 1 when any element is inf/NaN; every grad *= inv_scale.
                foreach (var g in grads)
                {
                    using var finite = g.isfinite();
                    using var all = finite.all();
                    if (!all.item<bool>()) found.fill_(1.0);
                    g.mul_(inv);
                }
            }

            /// <summary>Unscales (if not done) and runs optimizer.step() unless an inf/NaN gradient was found.
            /// Returns whether the step ran.</summary>
            public bool step(optim.Optimizer optimizer)
            {
                if (!enabled) { optimizer.step(); return true; }
                var st = StateOf(optimizer);
                if (st.stage == Stage.Stepped) throw new TorchException("step() has already been called since the last update().");
                if (st.stage == Stage.Ready) unscale_(optimizer);
                if (st.found_inf.Count == 0) throw new TorchException("No inf checks were recorded for this optimizer.");
                var skip = st.found_inf.Any(f => f.item<float>() != 0);
                if (!skip) optimizer.step();
                st.stage = Stage.Stepped;
                return !skip;
            }

            /// <summary>Updates the scale from this iteration's inf checks (or sets it to new_scale) and resets
            /// the per-optimizer state for the next iteration.</summary>
            public void update(double? new_scale = null)
            {
                if (!enabled) return;
                LazyInit();
                using (no_grad())
                using (NewDisposeScope())
                {
                    if (new_scale is { } s) _scale!.fill_(s);
                    else
                    {
                        var found = _perOptimizer.Values.SelectMany(p => p.found_inf).ToList();
                        if (found.Count == 0) throw new TorchException("No inf checks were recorded prior to update.");
                        var combined = found[0].to(_scale!.device);
                        for (var i = 1; i < found.Count; i++) combined = combined.add(found[i].to(_scale.device));
                        UpdateScale(combined);
                    }
                }
                foreach (var p in _perOptimizer.Values) foreach (var f in p.found_inf) f.Dispose();
                _perOptimizer.Clear();
            }

            void UpdateScale(Tensor foundInf)
            {
                var type = _scale!.device.type;
                if (!s_noFusedUpdate.Contains(type))
                {
                    try
                    {
                        Op.Call("aten::_amp_update_scale_", _scale, _growthTracker, foundInf, growth_factor, backoff_factor, growth_interval).Dispose();
                        return;
                    }
                    catch (TorchException e) when (e.Message.Contains("Could not run")) { lock (s_noFusedUpdate) s_noFusedUpdate.Add(type); }
                }
                // The fused kernel's contract, in float32 as it computes.
                var scale = _scale.item<float>();
                var tracker = _growthTracker!.item<int>();
                if (foundInf.item<float>() != 0) { scale = (float)(scale * backoff_factor); tracker = 0; }
                else if (tracker + 1 == growth_interval)
                {
                    var grown = (float)(scale * growth_factor);
                    if (float.IsFinite(grown)) scale = grown;
                    tracker = 0;
                }
                else tracker++;
                _scale.fill_(scale);
                _growthTracker.fill_(tracker);
            }

            PerOptimizer StateOf(optim.Optimizer o) =>
                _perOptimizer.TryGetValue(o, out var s) ? s : _perOptimizer[o] = new PerOptimizer();

            public double get_scale() => !enabled ? 1.0 : _scale is null ? _initScale : _scale.item<float>();
            public long get_growth_tracker() => _growthTracker is null ? 0 : _growthTracker.item<int>();

            /// <summary>PyTorch's GradScaler.state_dict entries, as numbers (for a checkpoint's metadata).</summary>
            public Dictionary<string, double> state_dict() => !enabled ? [] : new()
            {
                ["scale"] = get_scale(), ["growth_factor"] = growth_factor, ["backoff_factor"] = backoff_factor,
                ["growth_interval"] = growth_interval, ["_growth_tracker"] = get_growth_tracker(),
            };

            public void load_state_dict(IReadOnlyDictionary<string, double> s)
            {
                if (!enabled) return;
                _initScale = s["scale"];
                growth_factor = s["growth_factor"];
                backoff_factor = s["backoff_factor"];
                growth_interval = (long)s["growth_interval"];
                LazyInit();
                _scale!.fill_(_initScale);
                _growthTracker!.fill_(s["_growth_tracker"]);
            }

            public void Dispose()
            {
                _scale?.Dispose();
                _growthTracker?.Dispose();
                foreach (var p in _perOptimizer.Values) foreach (var f in p.found_inf) f.Dispose();
                _perOptimizer.Clear();
            }
        }
    }
}
