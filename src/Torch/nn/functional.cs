namespace YoloSweep.Torch;

public static partial class torch
{
    public static partial class nn
    {
        public enum Reduction { None = 0, Mean = 1, Sum = 2 }

        /// <summary>torch.nn.functional: stateless ops, one ATen operator each.</summary>
        public static class functional
        {
            static Tensor C(string op, params ReadOnlySpan<Arg> a) => Op.Call(op, a);

            public static Tensor conv2d(Tensor input, Tensor weight, Tensor? bias = null, long[]? stride = null,
                long[]? padding = null, long[]? dilation = null, long groups = 1) =>
                C("aten::conv2d", input, weight, bias, stride ?? [1, 1], padding ?? [0, 0], dilation ?? [1, 1], groups);

            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null) => C("aten::linear", input, weight, bias);

            /// <summary>Batch normalisation; in training it updates running_mean/var in place (momentum as PyTorch).</summary>
            public static Tensor batch_norm(Tensor input, Tensor? running_mean, Tensor? running_var, Tensor? weight = null,
                Tensor? bias = null, bool training = false, double momentum = 0.1, double eps = 1e-5) =>
                C("aten::batch_norm", input, weight, bias, running_mean, running_var, training, momentum, eps, true);

            public static Tensor layer_norm(Tensor input, long[] normalized_shape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5) =>
                C("aten::layer_norm", input, normalized_shape, weight, bias, eps, true);

            public static Tensor relu(Tensor x) => C("aten::relu", x);
            public static Tensor relu6(Tensor x) => C("aten::hardtanh", x, 0.0, 6.0);
            public static Tensor silu(Tensor x) => C("aten::silu", x);
            public static Tensor sigmoid(Tensor x) => C("aten::sigmoid", x);
            public static Tensor hardswish(Tensor x) => C("aten::hardswish", x);
            public static Tensor hardsigmoid(Tensor x) => C("aten::hardsigmoid", x);
            public static Tensor leaky_relu(Tensor x, double negative_slope = 0.01) => C("aten::leaky_relu", x, negative_slope);
            public static Tensor gelu(Tensor x, string approximate = "none") => Op.CallKw("aten::gelu", [x], ("approximate", approximate));
            public static Tensor softplus(Tensor x) => C("aten::softplus", x, 1.0, 20.0);
            public static Tensor softmax(Tensor x, long dim, ScalarType? dtype = null) => C("aten::softmax.int", x, dim, dtype);
            public static Tensor log_softmax(Tensor x, long dim, ScalarType? dtype = null) => C("aten::log_softmax.int", x, dim, dtype);

            public static Tensor max_pool2d(Tensor x, long[] kernel_size, long[]? stride = null, long[]? padding = null,
                long[]? dilation = null, bool ceil_mode = false) =>
                C("aten::max_pool2d", x, kernel_size, stride ?? kernel_size, padding ?? [0, 0], dilation ?? [1, 1], ceil_mode);

            public static Tensor avg_pool2d(Tensor x, long[] kernel_size, long[]? stride = null, long[]? padding = null,
                bool ceil_mode = false, bool count_include_pad = true) =>
                C("aten::avg_pool2d", x, kernel_size, stride ?? kernel_size, padding ?? [0, 0], ceil_mode, count_include_pad, Arg.None);

            public static Tensor adaptive_avg_pool2d(Tensor x, long[] output_size) => C("aten::adaptive_avg_pool2d", x, output_size);
            public static Tensor adaptive_max_pool2d(Tensor x, long[] output_size) => Op.CallMany("aten::adaptive_max_pool2d", x, output_size) is var r ? First(r) : null!;

            /// <summary>As F.interpolate for 4-D inputs: mode "nearest" or "bilinear", by size or scale factor.</summary>
            public static Tensor interpolate(Tensor x, long[]? size = null, double[]? scale_factor = null, string mode = "nearest",
                bool? align_corners = null)
            {
                if ((size == null) == (scale_factor == null)) throw new ArgumentException("interpolate: give exactly one of size and scale_factor");
                if (scale_factor is { Length: 1 }) scale_factor = [scale_factor[0], scale_factor[0]];
                return mode switch
                {
                    "nearest" => C("aten::upsample_nearest2d.vec", x, size, scale_factor),
                    "bilinear" => C("aten::upsample_bilinear2d.vec", x, size, align_corners ?? false, scale_factor),
                    _ => throw new ArgumentException($"interpolate: unsupported mode '{mode}' (nearest, bilinear)"),
                };
            }

            /// <summary>As F.grid_sample: mode bilinear|nearest|bicubic, padding_mode zeros|border|reflection.</summary>
            public static Tensor grid_sample(Tensor input, Tensor grid, string mode = "bilinear", string padding_mode = "zeros",
                bool align_corners = false)
            {
                var m = mode switch { "bilinear" => 0, "nearest" => 1, "bicubic" => 2, _ => throw new ArgumentException($"grid_sample: unknown mode '{mode}'") };
                var p = padding_mode switch { "zeros" => 0, "border" => 1, "reflection" => 2, _ => throw new ArgumentException($"grid_sample: unknown padding_mode '{padding_mode}'") };
                return C("aten::grid_sampler", input, grid, m, p, align_corners);
            }

            public static Tensor dropout(Tensor x, double p = 0.5, bool training = true) => C("aten::dropout", x, p, training);

            /// <summary>Constant padding; pad lists (left, right, top, bottom, …) from the last dimension backwards.</summary>
            public static Tensor pad(Tensor x, long[] pad, double value = 0) => C("aten::constant_pad_nd", x, pad, value);

            public static Tensor one_hot(Tensor x, long num_classes = -1) => C("aten::one_hot", x, num_classes);

            public static Tensor binary_cross_entropy_with_logits(Tensor input, Tensor target, Tensor? weight = null,
                Tensor? pos_weight = null, Reduction reduction = Reduction.Mean) =>
                C("aten::binary_cross_entropy_with_logits", input, target, weight, pos_weight, (long)reduction);

            public static Tensor binary_cross_entropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean) =>
                C("aten::binary_cross_entropy", input, target, weight, (long)reduction);

            public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
                long ignore_index = -100, double label_smoothing = 0) =>
                C("aten::cross_entropy_loss", input, target, weight, (long)reduction, ignore_index, label_smoothing);

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                C("aten::mse_loss", input, target, (long)reduction);

            static Tensor First(Tensor[] r)
            {
                for (var i = 1; i < r.Length; i++) r[i].Dispose();
                return r[0];
            }
        }
    }
}
