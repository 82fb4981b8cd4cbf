using F = YoloSweep.Torch.torch.nn.functional;

namespace YoloSweep.Torch;

// Standard layers with PyTorch's names, parameter names and default initialisation.
public static partial class torch
{
    public static partial class nn
    {
        public static class init
        {
            /// <summary>U(-bound, bound) with bound = 1/sqrt(fan_in): PyTorch's default for Conv and Linear
            /// (kaiming_uniform_ with a = sqrt(5) for weights, and the matching bias rule).</summary>
            public static void default_uniform(Tensor t, long fan_in)
            {
                var bound = fan_in > 0 ? 1.0 / Math.Sqrt(fan_in) : 0;
                using (no_grad()) t.uniform_(-bound, bound);
            }

            public static void uniform_(Tensor t, double a, double b) { using (no_grad()) t.uniform_(a, b); }
            public static void normal_(Tensor t, double mean = 0, double std = 1) { using (no_grad()) t.normal_(mean, std); }
            public static void constant_(Tensor t, double v) { using (no_grad()) t.fill_(v); }
            public static void zeros_(Tensor t) => constant_(t, 0);
            public static void ones_(Tensor t) => constant_(t, 1);
        }

        /// <summary>Not sealed: the model zoo derives FLOP-counting and quantised convolutions from it.</summary>
        public class Conv2d : Module<Tensor, Tensor>
        {
            public readonly Parameter weight;
            public readonly Parameter? bias;
            public readonly long in_channels, out_channels, groups;
            public readonly long[] kernel_size, stride, padding, dilation;

            public Conv2d(long in_channels, long out_channels, long kernel_size, long stride = 1, long padding = 0,
                long dilation = 1, long groups = 1, bool bias = true)
                : this(in_channels, out_channels, [kernel_size, kernel_size], [stride, stride], [padding, padding],
                    [dilation, dilation], groups, bias) { }

            public Conv2d(long in_channels, long out_channels, long[] kernel_size, long[] stride, long[] padding,
                long[] dilation, long groups = 1, bool bias = true)
                : this(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, "Conv2d") { }

            protected Conv2d(long in_channels, long out_channels, long[] kernel_size, long[] stride, long[] padding,
                long[] dilation, long groups, bool bias, string typeName) : base(typeName)
            {
                if (in_channels % groups != 0 || out_channels % groups != 0)
                    throw new ArgumentException($"Conv2d: channels {in_channels}→{out_channels} not divisible by groups {groups}");
                (this.in_channels, this.out_channels, this.groups) = (in_channels, out_channels, groups);
                (this.kernel_size, this.stride, this.padding, this.dilation) = (kernel_size, stride, padding, dilation);
                var fanIn = in_channels / groups * kernel_size[0] * kernel_size[1];
                using var w = empty([out_channels, in_channels / groups, kernel_size[0], kernel_size[1]]);
                init.default_uniform(w, fanIn);
                weight = new Parameter(w);
                register_parameter("weight", weight);
                if (bias)
                {
                    using var b = empty([out_channels]);
                    init.default_uniform(b, fanIn);
                    this.bias = new Parameter(b);
                }
                register_parameter("bias", this.bias);
            }

            public override Tensor forward(Tensor x) => F.conv2d(x, weight, bias, stride, padding, dilation, groups);
        }

        public class Linear : Module<Tensor, Tensor>
        {
            public readonly Parameter weight;
            public readonly Parameter? bias;
            public readonly long in_features, out_features;

            public Linear(long in_features, long out_features, bool bias = true) : base("Linear")
            {
                (this.in_features, this.out_features) = (in_features, out_features);
                using var w = empty([out_features, in_features]);
                init.default_uniform(w, in_features);
                weight = new Parameter(w);
                register_parameter("weight", weight);
                if (bias)
                {
                    using var b = empty([out_features]);
                    init.default_uniform(b, in_features);
                    this.bias = new Parameter(b);
                }
                register_parameter("bias", this.bias);
            }

            public override Tensor forward(Tensor x) => F.linear(x, weight, bias);
        }

        /// <summary>BatchNorm2d with PyTorch's buffers (running_mean, running_var, num_batches_tracked).</summary>
        public class BatchNorm2d : Module<Tensor, Tensor>
        {
            public readonly Parameter weight, bias;
            public readonly Tensor running_mean, running_var, num_batches_tracked;
            public double eps, momentum;
            public readonly long num_features;

            public BatchNorm2d(long num_features, double eps = 1e-5, double momentum = 0.1) : base("BatchNorm2d")
            {
                (this.num_features, this.eps, this.momentum) = (num_features, eps, momentum);
                using (var w = ones(num_features)) weight = new Parameter(w);
                using (var b = zeros(num_features)) bias = new Parameter(b);
                register_parameter("weight", weight);
                register_parameter("bias", bias);
                running_mean = zeros(num_features);
                running_var = ones(num_features);
                num_batches_tracked = zeros([], ScalarType.Int64);
                register_buffer("running_mean", running_mean);
                register_buffer("running_var", running_var);
                register_buffer("num_batches_tracked", num_batches_tracked);
            }

            public override Tensor forward(Tensor x)
            {
                if (training)
                    using (no_grad()) num_batches_tracked.add_(1L);  // an int64 buffer: an integer scalar, as PyTorch's += 1
                return F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps);
            }
        }

        public sealed class Identity : Module<Tensor, Tensor>
        {
            public Identity() : base("Identity") { }
            public override Tensor forward(Tensor x) => x.alias();
        }

        /// <summary>An activation or other parameter-free layer given by a function.</summary>
        public sealed class Lambda : Module<Tensor, Tensor>
        {
            readonly Func<Tensor, Tensor> _fn;
            public Lambda(string name, Func<Tensor, Tensor> fn) : base(name) { _fn = fn; }
            public override Tensor forward(Tensor x) => _fn(x);
        }

        public static Lambda SiLU(bool inplace = false) => inplace ? new("SiLU", x => x.silu_()) : new("SiLU", F.silu);
        public static Lambda ReLU(bool inplace = false) => inplace ? new("ReLU", x => x.relu_()) : new("ReLU", F.relu);
        public static Lambda ReLU6() => new("ReLU6", F.relu6);
        public static Lambda Sigmoid() => new("Sigmoid", F.sigmoid);
        public static Lambda Hardswish() => new("Hardswish", F.hardswish);
        public static Lambda Hardsigmoid() => new("Hardsigmoid", F.hardsigmoid);
        public static Lambda GELU() => new("GELU", x => F.gelu(x));
        public static Lambda LeakyReLU(double negative_slope = 0.01) => new("LeakyReLU", x => F.leaky_relu(x, negative_slope));
        public static Lambda Flatten(long start_dim = 1, long end_dim = -1) => new("Flatten", x => x.flatten(start_dim, end_dim));
        public static Lambda MaxPool2d(long kernel_size, long stride = -1, long padding = 0) =>
            new("MaxPool2d", x => F.max_pool2d(x, [kernel_size, kernel_size], stride < 0 ? null : [stride, stride], [padding, padding]));
        public static Lambda AvgPool2d(long kernel_size, long stride = -1, long padding = 0, bool ceil_mode = false, bool count_include_pad = true) =>
            new("AvgPool2d", x => F.avg_pool2d(x, [kernel_size, kernel_size], stride < 0 ? null : [stride, stride], [padding, padding], ceil_mode, count_include_pad));
        public static Lambda AdaptiveAvgPool2d(long output_size) => new("AdaptiveAvgPool2d", x => F.adaptive_avg_pool2d(x, [output_size, output_size]));
        public static Lambda Upsample(long[]? size = null, double? scale_factor = null, string mode = "nearest") =>
            new("Upsample", x => F.interpolate(x, size, scale_factor is null ? null : [scale_factor.Value, scale_factor.Value], mode));

        public sealed class Dropout : Module<Tensor, Tensor>
        {
            readonly double _p;
            public Dropout(double p = 0.5) : base("Dropout") { _p = p; }
            public override Tensor forward(Tensor x) => training && _p > 0 ? F.dropout(x, _p, true) : x.alias();
        }

        /// <summary>Modules applied in order; children are named "0", "1", … as in PyTorch.</summary>
        public sealed class Sequential : Module<Tensor, Tensor>
        {
            readonly List<Module<Tensor, Tensor>> _layers = [];

            public Sequential(params Module<Tensor, Tensor>[] layers) : base("Sequential")
            {
                foreach (var l in layers) append(l);
            }

            public Sequential append(Module<Tensor, Tensor> m)
            {
                register_module(_layers.Count.ToString(), m);
                _layers.Add(m);
                return this;
            }

            public int Count => _layers.Count;
            public Module<Tensor, Tensor> this[int i] => _layers[i];

            public override Tensor forward(Tensor x)
            {
                var y = x;
                foreach (var layer in _layers)
                {
                    var next = layer.call(y);
                    // each output is freed once the next layer has made its own, as Python's refcounting does
                    if (!ReferenceEquals(y, x) && !ReferenceEquals(next, y)) y.Dispose();
                    y = next;
                }
                return ReferenceEquals(y, x) ? x.alias() : y;
            }
        }

        /// <summary>A list of submodules named "0", "1", … (no forward of its own).</summary>
        public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
        {
            readonly List<T> _items = [];

            public ModuleList(params T[] items) : base("ModuleList")
            {
                foreach (var m in items) append(m);
            }

            public ModuleList<T> append(T m)
            {
                register_module(_items.Count.ToString(), m);
                _items.Add(m);
                return this;
            }

            public T this[int i] => _items[i];
            public int Count => _items.Count;
            public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();
            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }
}
