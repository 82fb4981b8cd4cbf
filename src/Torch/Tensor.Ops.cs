namespace YoloSweep.Torch;

// Tensor methods: each is one ATen operator called through the dispatcher (see Dispatch.cs), named as in PyTorch.
public static partial class torch
{
    public partial class Tensor
    {
        static Tensor C(string op, params ReadOnlySpan<Arg> a) => Op.Call(op, a);

        // An in-place op returns this very tensor, as in PyTorch, so in-place ops chain (x.add_(y).relu_()) and a
        // caller never gets a second handle to dispose. ATen's result (an alias of self) is freed at once.
        Tensor I(string op, params ReadOnlySpan<Arg> a)
        {
            Op.Run(op, a);
            return this;
        }

        // ------------------------------------------------------------ conversion and copies
        public Tensor to(ScalarType t, bool non_blocking = false, bool copy = false) =>
            Op.CallKw("aten::to.dtype", [this, t, non_blocking, copy]);
        public Tensor to(Device d, bool non_blocking = false, bool copy = false) =>
            Op.CallKw("aten::to.device", [this, d, dtype, non_blocking, copy]);
        public Tensor to(Device d, ScalarType t, bool non_blocking = false) =>
            Op.CallKw("aten::to.device", [this, d, t, non_blocking, false]);
        public Tensor to(Tensor other) => C("aten::to.other", this, other);
        public Tensor cpu() => to(Device.CPU);
        public Tensor cuda(int index = 0) => to(new Device(DeviceType.CUDA, index));
        public Tensor @float() => to(ScalarType.Float32);
        public Tensor @double() => to(ScalarType.Float64);
        public Tensor @long() => to(ScalarType.Int64);
        public Tensor @int() => to(ScalarType.Int32);
        public Tensor @bool() => to(ScalarType.Bool);
        public Tensor half() => to(ScalarType.Float16);
        public Tensor bfloat16() => to(ScalarType.BFloat16);
        public Tensor clone() => C("aten::clone", this);
        public Tensor clone(MemoryFormat f) => C("aten::clone", this, f);
        public Tensor contiguous(MemoryFormat f = MemoryFormat.Contiguous) => C("aten::contiguous", this, f);
        // Not a dispatcher op in libtorch 1.13 (a TensorImpl query), hence its own entry point.
        public bool is_contiguous(MemoryFormat f = MemoryFormat.Contiguous)
        {
            var r = Native.ys_tensor_is_contiguous(Handle, (int)f);
            if (r < 0) Native.Throw();
            return r != 0;
        }
        public Tensor detach() => C("aten::detach", this);
        public Tensor detach_() => I("aten::detach_", this);
        public Tensor requires_grad_(bool value = true) => I("aten::requires_grad_", this, value);
        public Tensor copy_(Tensor src, bool non_blocking = false) => I("aten::copy_", this, src, non_blocking);
        public Tensor zero_() => I("aten::zero_", this);
        public Tensor fill_(double v) => I("aten::fill_.Scalar", this, v);
        public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null) => I("aten::uniform_", this, from, to, generator);
        public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null) => I("aten::normal_", this, mean, std, generator);
        public Tensor bernoulli_(double p = 0.5, Generator? generator = null) => I("aten::bernoulli_.float", this, p, generator);

        // ------------------------------------------------------------ arithmetic
        public Tensor add(Tensor o, double alpha = 1) => C("aten::add.Tensor", this, o, alpha);
        public Tensor add(double o, double alpha = 1) => C("aten::add.Scalar", this, o, alpha);
        public Tensor add_(Tensor o, double alpha = 1) => I("aten::add_.Tensor", this, o, alpha);
        public Tensor add_(double o, double alpha = 1) => I("aten::add_.Scalar", this, o, alpha);
        // Integer scalars stay integers (a double 1.0 cannot be added in place to an int64 tensor).
        public Tensor add_(long o, long alpha = 1) => I("aten::add_.Scalar", this, o, alpha);
        public Tensor add(long o, long alpha = 1) => C("aten::add.Scalar", this, o, alpha);
        public Tensor sub(long o, long alpha = 1) => C("aten::sub.Scalar", this, o, alpha);
        public Tensor sub_(long o, long alpha = 1) => I("aten::sub_.Scalar", this, o, alpha);
        public Tensor mul(long o) => C("aten::mul.Scalar", this, o);
        public Tensor mul_(long o) => I("aten::mul_.Scalar", this, o);
        public Tensor sub(Tensor o, double alpha = 1) => C("aten::sub.Tensor", this, o, alpha);
        public Tensor sub(double o, double alpha = 1) => C("aten::sub.Scalar", this, o, alpha);
        public Tensor sub_(Tensor o, double alpha = 1) => I("aten::sub_.Tensor", this, o, alpha);
        public Tensor sub_(double o, double alpha = 1) => I("aten::sub_.Scalar", this, o, alpha);
        public Tensor mul(Tensor o) => C("aten::mul.Tensor", this, o);
        public Tensor mul(double o) => C("aten::mul.Scalar", this, o);
        public Tensor mul_(Tensor o) => I("aten::mul_.Tensor", this, o);
        public Tensor mul_(double o) => I("aten::mul_.Scalar", this, o);
        public Tensor div(Tensor o) => C("aten::div.Tensor", this, o);
        public Tensor div(double o) => C("aten::div.Scalar", this, o);
        public Tensor div(Tensor o, string rounding_mode) => C("aten::div.Tensor_mode", this, o, rounding_mode);
        public Tensor div_(Tensor o) => I("aten::div_.Tensor", this, o);
        public Tensor div_(double o) => I("aten::div_.Scalar", this, o);
        public Tensor remainder(double o) => C("aten::remainder.Scalar", this, o);
        public Tensor fmod(double o) => C("aten::fmod.Scalar", this, o);
        public Tensor addcmul_(Tensor t1, Tensor t2, double value = 1) => I("aten::addcmul_", this, t1, t2, value);
        public Tensor addcdiv_(Tensor t1, Tensor t2, double value = 1) => I("aten::addcdiv_", this, t1, t2, value);
        public Tensor lerp_(Tensor end, double weight) => I("aten::lerp_.Scalar", this, end, weight);
        public Tensor neg() => C("aten::neg", this);
        public Tensor pow(double e) => C("aten::pow.Tensor_Scalar", this, e);
        public Tensor pow(Tensor e) => C("aten::pow.Tensor_Tensor", this, e);
        public Tensor sqrt() => C("aten::sqrt", this);
        public Tensor sqrt_() => I("aten::sqrt_", this);
        public Tensor rsqrt() => C("aten::rsqrt", this);
        public Tensor exp() => C("aten::exp", this);
        public Tensor log() => C("aten::log", this);
        public Tensor log2() => C("aten::log2", this);
        public Tensor log1p() => C("aten::log1p", this);
        public Tensor abs() => C("aten::abs", this);
        public Tensor sign() => C("aten::sign", this);
        public Tensor sin() => C("aten::sin", this);
        public Tensor cos() => C("aten::cos", this);
        public Tensor tanh() => C("aten::tanh", this);
        public Tensor atan() => C("aten::atan", this);
        public Tensor sigmoid() => C("aten::sigmoid", this);
        public Tensor sigmoid_() => I("aten::sigmoid_", this);
        public Tensor relu() => C("aten::relu", this);
        public Tensor relu_() => I("aten::relu_", this);
        public Tensor silu() => C("aten::silu", this);
        public Tensor silu_() => I("aten::silu_", this);
        public Tensor hardswish_() => I("aten::hardswish_", this);
        public Tensor neg_() => I("aten::neg_", this);
        public Tensor exp_() => I("aten::exp_", this);
        public Tensor abs_() => I("aten::abs_", this);
        public Tensor pow_(double e) => I("aten::pow_.Scalar", this, e);
        public Tensor floor_() => I("aten::floor_", this);
        public Tensor reciprocal() => C("aten::reciprocal", this);
        public Tensor floor() => C("aten::floor", this);
        public Tensor ceil() => C("aten::ceil", this);
        public Tensor round() => C("aten::round", this);
        public Tensor round(long decimals) => C("aten::round.decimals", this, decimals);
        public Tensor trunc() => C("aten::trunc", this);
        public Tensor frac() => C("aten::frac", this);
        public Tensor clamp(double? min = null, double? max = null) => C("aten::clamp", this, min, max);
        public Tensor clamp(Tensor? min, Tensor? max) => C("aten::clamp.Tensor", this, min, max);
        // Integer bounds keep an integer tensor integer (PyTorch: index.clamp(0, n - 1) stays int64).
        public Tensor clamp(long min, long max) => C("aten::clamp", this, min, max);
        public Tensor clamp_(double? min = null, double? max = null) => I("aten::clamp_", this, min, max);
        public Tensor clamp_min(double min) => C("aten::clamp_min", this, min);
        public Tensor clamp_max(double max) => C("aten::clamp_max", this, max);
        public Tensor clamp_min_(double min) => I("aten::clamp_min_", this, min);
        public Tensor clamp_max_(double max) => I("aten::clamp_max_", this, max);
        public Tensor maximum(Tensor o) => C("aten::maximum", this, o);
        public Tensor minimum(Tensor o) => C("aten::minimum", this, o);
        public Tensor nan_to_num(double nan = 0, double? posinf = null, double? neginf = null) => C("aten::nan_to_num", this, nan, posinf, neginf);
        public Tensor softmax(long dim, ScalarType? dtype = null) => C("aten::softmax.int", this, dim, dtype);
        public Tensor matmul(Tensor o) => C("aten::matmul", this, o);
        public Tensor mm(Tensor o) => C("aten::mm", this, o);
        public Tensor bmm(Tensor o) => C("aten::bmm", this, o);
        public Tensor t() => C("aten::t", this);

        // ------------------------------------------------------------ comparison and logic
        public Tensor eq(Tensor o) => C("aten::eq.Tensor", this, o);
        public Tensor eq(double o) => C("aten::eq.Scalar", this, o);
        public Tensor ne(Tensor o) => C("aten::ne.Tensor", this, o);
        public Tensor ne(double o) => C("aten::ne.Scalar", this, o);
        public Tensor lt(Tensor o) => C("aten::lt.Tensor", this, o);
        public Tensor lt(double o) => C("aten::lt.Scalar", this, o);
        public Tensor le(Tensor o) => C("aten::le.Tensor", this, o);
        public Tensor le(double o) => C("aten::le.Scalar", this, o);
        public Tensor gt(Tensor o) => C("aten::gt.Tensor", this, o);
        public Tensor gt(double o) => C("aten::gt.Scalar", this, o);
        public Tensor ge(Tensor o) => C("aten::ge.Tensor", this, o);
        public Tensor ge(double o) => C("aten::ge.Scalar", this, o);
        public Tensor logical_and(Tensor o) => C("aten::logical_and", this, o);
        public Tensor logical_or(Tensor o) => C("aten::logical_or", this, o);
        public Tensor logical_not() => C("aten::logical_not", this);
        public Tensor isnan() => C("aten::isnan", this);
        public Tensor isfinite() => C("aten::isfinite", this);
        public bool allclose(Tensor o, double rtol = 1e-5, double atol = 1e-8) => Op.CallScalar("aten::allclose", this, o, rtol, atol, false) != 0;
        public bool equal(Tensor o) => Op.CallScalar("aten::equal", this, o) != 0;

        // ------------------------------------------------------------ reductions
        public Tensor sum(ScalarType? dtype = null) => C("aten::sum", this, dtype);
        public Tensor sum(long[] dim, bool keepdim = false, ScalarType? dtype = null) => C("aten::sum.dim_IntList", this, dim, keepdim, dtype);
        public Tensor sum(long dim, bool keepdim = false) => sum([dim], keepdim);
        public Tensor mean() => C("aten::mean", this);
        public Tensor mean(long[] dim, bool keepdim = false) => C("aten::mean.dim", this, dim, keepdim);
        public Tensor mean(long dim, bool keepdim = false) => mean([dim], keepdim);
        public Tensor prod(long dim, bool keepdim = false) => C("aten::prod.dim_int", this, dim, keepdim);
        public Tensor var(long[] dim, bool unbiased = true, bool keepdim = false) => C("aten::var.dim", this, dim, unbiased, keepdim);
        public Tensor std(long[] dim, bool unbiased = true, bool keepdim = false) => C("aten::std.dim", this, dim, unbiased, keepdim);
        public Tensor max() => C("aten::max", this);
        public Tensor min() => C("aten::min", this);
        public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false) => Pair(Op.CallMany("aten::max.dim", this, dim, keepdim));
        public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false) => Pair(Op.CallMany("aten::min.dim", this, dim, keepdim));
        public Tensor amax(long[] dim, bool keepdim = false) => C("aten::amax", this, dim, keepdim);
        public Tensor amin(long[] dim, bool keepdim = false) => C("aten::amin", this, dim, keepdim);
        public Tensor argmax(long? dim = null, bool keepdim = false) => C("aten::argmax", this, dim, keepdim);
        public Tensor argmin(long? dim = null, bool keepdim = false) => C("aten::argmin", this, dim, keepdim);
        public Tensor all() => C("aten::all", this);
        public Tensor all(long dim, bool keepdim = false) => C("aten::all.dim", this, dim, keepdim);
        public Tensor any() => C("aten::any", this);
        public Tensor any(long dim, bool keepdim = false) => C("aten::any.dim", this, dim, keepdim);
        public Tensor cumsum(long dim, ScalarType? dtype = null) => C("aten::cumsum", this, dim, dtype);
        public Tensor cumprod(long dim) => C("aten::cumprod", this, dim);
        public Tensor norm(double p = 2) => C("aten::norm.Scalar", this, p);
        public Tensor count_nonzero(long? dim = null) => C("aten::count_nonzero", this, dim);
        public (Tensor values, Tensor indexes) topk(long k, long dim = -1, bool largest = true, bool sorted = true) =>
            Pair(Op.CallMany("aten::topk", this, k, dim, largest, sorted));
        public (Tensor values, Tensor indexes) sort(long dim = -1, bool descending = false, bool stable = false) =>
            Pair(Op.CallMany("aten::sort.stable", this, stable, dim, descending));
        public Tensor argsort(long dim = -1, bool descending = false) => C("aten::argsort", this, dim, descending);
        public (Tensor values, Tensor counts) unique_counts()
        {
            var r = Op.CallMany("aten::_unique2", this, true, false, true);
            r[1].Dispose();
            return (r[0], r[2]);
        }
        public Tensor unique() => Op.CallMany("aten::_unique2", this, true, false, false) is var r ? Keep(r, 0) : null!;

        static (Tensor, Tensor) Pair(Tensor[] r) => (r[0], r[1]);

        static Tensor Keep(Tensor[] r, int index)
        {
            for (var i = 0; i < r.Length; i++) if (i != index) r[i].Dispose();
            return r[index];
        }

        // ------------------------------------------------------------ shape
        public Tensor view(params long[] shape) => C("aten::view", this, shape);
        public Tensor reshape(params long[] shape) => C("aten::reshape", this, shape);
        public Tensor view_as(Tensor o) => C("aten::view_as", this, o);
        public Tensor expand_as(Tensor o) => C("aten::expand_as", this, o);
        public Tensor permute(params long[] dims) => C("aten::permute", this, dims);
        public Tensor transpose(long d0, long d1) => C("aten::transpose.int", this, d0, d1);
        public Tensor flatten(long start_dim = 0, long end_dim = -1) => C("aten::flatten.using_ints", this, start_dim, end_dim);
        public Tensor unflatten(long dim, long[] sizes) => C("aten::unflatten.int", this, dim, sizes);
        public Tensor unsqueeze(long dim) => C("aten::unsqueeze", this, dim);
        public Tensor squeeze() => C("aten::squeeze", this);
        public Tensor squeeze(long dim) => C("aten::squeeze.dim", this, dim);
        public Tensor expand(params long[] sizes) => C("aten::expand", this, sizes, false);
        public Tensor repeat(params long[] repeats) => C("aten::repeat", this, repeats);
        public Tensor repeat_interleave(long repeats, long? dim = null) => C("aten::repeat_interleave.self_int", this, repeats, dim);
        public Tensor narrow(long dim, long start, long length) => C("aten::narrow", this, dim, start, length);
        public Tensor slice(long dim, long? start, long? end, long step = 1) => C("aten::slice.Tensor", this, dim, start, end, step);
        public Tensor select(long dim, long index) => C("aten::select.int", this, dim, index);
        public Tensor[] split(long split_size, long dim = 0) => Op.CallMany("aten::split.Tensor", this, split_size, dim);
        public Tensor[] split(long[] sizes, long dim = 0) => Op.CallMany("aten::split_with_sizes", this, sizes, dim);
        public Tensor[] chunk(long chunks, long dim = 0) => Op.CallMany("aten::chunk", this, chunks, dim);
        public Tensor[] unbind(long dim = 0) => Op.CallMany("aten::unbind.int", this, dim);
        public Tensor flip(params long[] dims) => C("aten::flip", this, dims);
        public Tensor roll(long[] shifts, long[] dims) => C("aten::roll", this, shifts, dims);
        public Tensor tril(long diagonal = 0) => C("aten::tril", this, diagonal);
        public Tensor triu(long diagonal = 0) => C("aten::triu", this, diagonal);

        // ------------------------------------------------------------ indexing ops
        public Tensor gather(long dim, Tensor index) => C("aten::gather", this, dim, index, false);
        public Tensor scatter(long dim, Tensor index, Tensor src) => C("aten::scatter.src", this, dim, index, src);
        public Tensor scatter_(long dim, Tensor index, Tensor src) => I("aten::scatter_.src", this, dim, index, src);
        public Tensor scatter_(long dim, Tensor index, double value) => I("aten::scatter_.value", this, dim, index, value);
        public Tensor scatter_add_(long dim, Tensor index, Tensor src) => I("aten::scatter_add_", this, dim, index, src);
        public Tensor index_select(long dim, Tensor index) => C("aten::index_select", this, dim, index);
        public Tensor index_add_(long dim, Tensor index, Tensor src) => I("aten::index_add_", this, dim, index, src, 1.0);
        public Tensor index_put_(Tensor?[] indices, Tensor values, bool accumulate = false) =>
            I("aten::index_put_", this, Arg.OptionalTensors(indices), values, accumulate);
        public Tensor index(params Tensor?[] indices) => C("aten::index.Tensor", this, Arg.OptionalTensors(indices));
        public Tensor masked_select(Tensor mask) => C("aten::masked_select", this, mask);
        public Tensor masked_fill(Tensor mask, double value) => C("aten::masked_fill.Scalar", this, mask, value);
        public Tensor masked_fill_(Tensor mask, double value) => I("aten::masked_fill_.Scalar", this, mask, value);
        public Tensor nonzero() => C("aten::nonzero", this);
        public Tensor[] nonzero_as_tuple() => Op.CallMany("aten::nonzero_numpy", this);
        public Tensor where(Tensor condition, Tensor other) => C("aten::where.self", condition, this, other);
        public Tensor take_along_dim(Tensor indices, long dim) => C("aten::take_along_dim", this, indices, dim);

        // ------------------------------------------------------------ operators
        // alpha 1 as an integer, so that integer tensors add (PyTorch's a + b passes alpha=1, an int).
        public static Tensor operator +(Tensor a, Tensor b) => C("aten::add.Tensor", a, b, 1L);
        public static Tensor operator +(Tensor a, double b) => a.add(b);
        // Integer scalars keep integer tensors integer (PyTorch: int64 tensor + 5 is int64; + 5.0 is float).
        public static Tensor operator +(Tensor a, long b) => a.add(b);
        public static Tensor operator +(long a, Tensor b) => b.add(a);
        public static Tensor operator -(Tensor a, long b) => a.sub(b);
        public static Tensor operator -(long a, Tensor b) => C("aten::rsub.Scalar", b, a, 1L);
        public static Tensor operator *(Tensor a, long b) => a.mul(b);
        public static Tensor operator *(long a, Tensor b) => b.mul(a);
        public static Tensor operator +(double a, Tensor b) => b.add(a);
        public static Tensor operator -(Tensor a, Tensor b) => C("aten::sub.Tensor", a, b, 1L);
        public static Tensor operator -(Tensor a, double b) => a.sub(b);
        public static Tensor operator -(double a, Tensor b) => C("aten::rsub.Scalar", b, a, 1.0);
        public static Tensor operator *(Tensor a, Tensor b) => a.mul(b);
        public static Tensor operator *(Tensor a, double b) => a.mul(b);
        public static Tensor operator *(double a, Tensor b) => b.mul(a);
        public static Tensor operator /(Tensor a, Tensor b) => a.div(b);
        public static Tensor operator /(Tensor a, double b) => a.div(b);
        public static Tensor operator /(double a, Tensor b) => b.reciprocal().mul(a);
        public static Tensor operator -(Tensor a) => a.neg();
        public static Tensor operator <(Tensor a, Tensor b) => a.lt(b);
        public static Tensor operator >(Tensor a, Tensor b) => a.gt(b);
        public static Tensor operator <=(Tensor a, Tensor b) => a.le(b);
        public static Tensor operator >=(Tensor a, Tensor b) => a.ge(b);
        public static Tensor operator <(Tensor a, double b) => a.lt(b);
        public static Tensor operator >(Tensor a, double b) => a.gt(b);
        public static Tensor operator <=(Tensor a, double b) => a.le(b);
        public static Tensor operator >=(Tensor a, double b) => a.ge(b);
        public static Tensor operator &(Tensor a, Tensor b) => C("aten::bitwise_and.Tensor", a, b);
        public static Tensor operator |(Tensor a, Tensor b) => C("aten::bitwise_or.Tensor", a, b);
        public static Tensor operator ~(Tensor a) => C("aten::bitwise_not", a);
    }
}
