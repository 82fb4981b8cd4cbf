using System.Runtime.InteropServices;

namespace YoloSweep.Torch;

/// <summary>The torch namespace, shaped like TorchSharp's: <c>using static YoloSweep.Torch.torch;</c> then
/// <c>zeros(2, 3)</c>, <c>cat([a, b], 1)</c>, <c>nn.Conv2d(…)</c>.</summary>
public static partial class torch
{
    public static string libtorch_version => Marshal.PtrToStringUTF8(Native.ys_version())!;

    /// <summary>The BLAS library libtorch runs on in this process (chosen by YOLOSWEEP_BLAS, see Blas.cs), e.g.
    /// /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3.</summary>
    public static string blas_library => libtorch_version is not null ? Blas.Loaded() ?? "none" : "none";

    /// <summary>The value of YOLOSWEEP_BLAS this process loaded libtorch with ("auto" when unset).</summary>
    public static string blas_choice => libtorch_version is not null ? Blas.Choice : "auto";

    public static readonly ScalarType float16 = ScalarType.Float16, bfloat16 = ScalarType.BFloat16,
        float32 = ScalarType.Float32, float64 = ScalarType.Float64, int64 = ScalarType.Int64,
        int32 = ScalarType.Int32, uint8 = ScalarType.Byte, @bool = ScalarType.Bool;

    static Tensor C(string op, params ReadOnlySpan<Arg> a) => Op.Call(op, a);

    // ------------------------------------------------------------ creation
    public static Tensor empty(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        C("aten::empty.memory_format", shape, dtype, Arg.None, device, Arg.None, Arg.None);
    public static Tensor zeros(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        C("aten::zeros", shape, dtype, Arg.None, device);
    public static Tensor zeros(params long[] shape) => zeros(shape, ScalarType.Float32);
    public static Tensor ones(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        C("aten::ones", shape, dtype, Arg.None, device);
    public static Tensor ones(params long[] shape) => ones(shape, ScalarType.Float32);
    public static Tensor full(long[] shape, double value, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        C("aten::full", shape, value, dtype, Arg.None, device);
    public static Tensor zeros_like(Tensor t) => C("aten::zeros_like", t);
    public static Tensor ones_like(Tensor t) => C("aten::ones_like", t);
    public static Tensor empty_like(Tensor t) => C("aten::empty_like", t);
    public static Tensor full_like(Tensor t, double value) => C("aten::full_like", t, value);
    public static Tensor arange(double end, ScalarType dtype = ScalarType.Int64, Device? device = null) =>
        C("aten::arange", end, dtype, Arg.None, device);
    public static Tensor arange(double start, double end, double step = 1, ScalarType dtype = ScalarType.Int64, Device? device = null) =>
        C("aten::arange.start_step", start, end, step, dtype, Arg.None, device);
    public static Tensor linspace(double start, double end, long steps, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        C("aten::linspace", start, end, steps, dtype, Arg.None, device);
    public static Tensor eye(long n, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        C("aten::eye", n, dtype, Arg.None, device);
    public static Tensor rand(long[] shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        generator is null ? C("aten::rand", shape, dtype, Arg.None, device)
                          : C("aten::rand.generator", shape, generator, dtype, Arg.None, device);
    public static Tensor rand(params long[] shape) => rand(shape, null);
    public static Tensor randn(long[] shape, Generator? generator = null, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        generator is null ? C("aten::randn", shape, dtype, Arg.None, device)
                          : C("aten::randn.generator", shape, generator, dtype, Arg.None, device);
    public static Tensor randn(params long[] shape) => randn(shape, null);
    public static Tensor randint(long low, long high, long[] shape, Generator? generator = null, Device? device = null) =>
        C("aten::randint.low_generator", low, high, shape, generator, ScalarType.Int64, Arg.None, device);
    public static Tensor randperm(long n, Generator? generator = null, Device? device = null) =>
        C("aten::randperm.generator", n, generator, ScalarType.Int64, Arg.None, device);

    /// <summary>A tensor with a copy of the given values (row-major) and shape (default: 1-D).</summary>
    public static unsafe Tensor tensor<T>(ReadOnlySpan<T> values, long[]? shape = null, Device? device = null) where T : unmanaged
    {
        var dtype = DTypeOf<T>();
        shape ??= [values.Length];
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n != values.Length) throw new ArgumentException($"{values.Length} values do not fill shape [{string.Join(", ", shape)}]");
        Tensor t;
        fixed (T* p = values)
        fixed (long* sp = shape)
            t = new Tensor(Native.Check(Native.ys_tensor_from_data(p, sp, shape.Length, (int)dtype)));
        if (device is { type: not DeviceType.CPU } d)
        {
            using var cpu = t;
            t = cpu.to(d);
        }
        return t;
    }

    /// <summary>A CPU tensor that shares the array's memory (no copy, as torch.from_numpy): writes through either
    /// are seen by the other. The array stays pinned until the tensor and every view of it are freed. Copying
    /// alternatives: <see cref="tensor{T}(T[], long[], Device?)"/>, or <c>from_array(a).to(device)</c> for a GPU.</summary>
    public static unsafe Tensor from_array<T>(T[] values, params long[] shape) where T : unmanaged
    {
        var dtype = DTypeOf<T>();
        if (shape.Length == 0) shape = [values.Length];
        long n = 1;
        foreach (var s in shape) n *= s;
        if (n != values.Length) throw new ArgumentException($"{values.Length} values do not fill shape [{string.Join(", ", shape)}]");
        var pin = GCHandle.Alloc(values, GCHandleType.Pinned);
        var id = Interlocked.Increment(ref s_pinId);
        s_pins[id] = pin;
        IntPtr h;
        fixed (long* sp = shape)
            h = Native.ys_tensor_from_blob((void*)pin.AddrOfPinnedObject(), sp, shape.Length, (int)dtype, &ReleasePin, (IntPtr)id);
        if (h == IntPtr.Zero)
        {
            if (s_pins.TryRemove(id, out var p)) p.Free();
            Native.Throw();
        }
        return new Tensor(h);
    }

    /// <summary>Arrays pinned by from_array whose tensors are still alive (a leak check for tests).</summary>
    public static int PinnedArrays => s_pins.Count;

    static long s_pinId;
    static readonly System.Collections.Concurrent.ConcurrentDictionary<long, GCHandle> s_pins = new();

    // Called by libtorch (any thread) when the storage over a pinned array is released.
    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    static void ReleasePin(IntPtr id)
    {
        if (s_pins.TryRemove((long)id, out var pin)) pin.Free();
    }

    public static Tensor tensor<T>(T[] values, long[]? shape = null, Device? device = null) where T : unmanaged =>
        tensor<T>(values.AsSpan(), shape, device);
    public static Tensor tensor(double value, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        full([], value, dtype, device);
    public static Tensor scalar_tensor(double value, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        full([], value, dtype, device);

    static ScalarType DTypeOf<T>() =>
        typeof(T) == typeof(float) ? ScalarType.Float32 :
        typeof(T) == typeof(double) ? ScalarType.Float64 :
        typeof(T) == typeof(long) ? ScalarType.Int64 :
        typeof(T) == typeof(int) ? ScalarType.Int32 :
        typeof(T) == typeof(short) ? ScalarType.Int16 :
        typeof(T) == typeof(sbyte) ? ScalarType.Int8 :
        typeof(T) == typeof(byte) ? ScalarType.Byte :
        typeof(T) == typeof(bool) ? ScalarType.Bool :
        typeof(T) == typeof(Half) ? ScalarType.Float16 :
        throw new ArgumentException($"no tensor dtype for {typeof(T).Name}");

    // ------------------------------------------------------------ joining and selection
    public static Tensor cat(Tensor[] tensors, long dim = 0) => C("aten::cat", tensors, dim);
    public static Tensor stack(Tensor[] tensors, long dim = 0) => C("aten::stack", tensors, dim);
    public static Tensor where(Tensor condition, Tensor x, Tensor y) => C("aten::where.self", condition, x, y);
    public static Tensor where(Tensor condition, Tensor x, double y) => C("aten::where.ScalarOther", condition, x, y);
    public static Tensor where(Tensor condition, double x, Tensor y) => C("aten::where.ScalarSelf", condition, x, y);
    public static Tensor[] meshgrid(Tensor[] tensors, string indexing = "ij") => Op.CallMany("aten::meshgrid.indexing", tensors, indexing);
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor einsum(string equation, params Tensor[] tensors) => C("aten::einsum", equation, tensors);
    public static Tensor atan2(Tensor a, Tensor b) => C("aten::atan2", a, b);
    public static Tensor cdist(Tensor a, Tensor b) => C("aten::cdist", a, b, 2.0);
    public static Tensor clamp(Tensor t, double? min = null, double? max = null) => t.clamp(min, max);
    public static Tensor sigmoid(Tensor t) => t.sigmoid();
    public static Tensor exp(Tensor t) => t.exp();
    public static Tensor log(Tensor t) => t.log();
    public static Tensor abs(Tensor t) => t.abs();
    public static Tensor sqrt(Tensor t) => t.sqrt();
    public static Tensor pow(Tensor t, double e) => t.pow(e);
    public static Tensor bucketize(Tensor input, Tensor boundaries, bool right = false) =>
        C("aten::bucketize.Tensor", input, boundaries, false, right);

    // ------------------------------------------------------------ global state
    /// <summary>Seeds every default generator (CPU and CUDA), as torch.manual_seed.</summary>
    public static void manual_seed(ulong seed) => Native.Check(Native.ys_manual_seed(seed));

    public static void set_num_threads(int n) => Native.ys_set_num_threads(n);
    public static int get_num_threads() => Native.ys_get_num_threads();
    public static bool is_grad_enabled() => Native.ys_grad_enabled() != 0;

    /// <summary>Disables gradient recording on this thread until disposed.</summary>
    public static IDisposable no_grad() => new GradMode(false);
    public static IDisposable enable_grad() => new GradMode(true);

    /// <summary>A dispose scope: tensors created on this thread until it is disposed are freed with it.</summary>
    public static DisposeScope NewDisposeScope() => new();

    sealed class GradMode : IDisposable
    {
        readonly bool _previous;
        bool _done;
        public GradMode(bool enabled)
        {
            _previous = is_grad_enabled();
            Native.ys_set_grad_enabled(enabled ? 1 : 0);
        }
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            Native.ys_set_grad_enabled(_previous ? 1 : 0);
        }
    }

    public static class autograd
    {
        /// <summary>Accumulates gradients of tensors (with optional incoming gradients) into the graph's leaves.</summary>
        public static unsafe void backward(Tensor[] tensors, Tensor?[]? grad_tensors = null, bool retain_graph = false,
            bool create_graph = false)
        {
            var hs = tensors.Select(t => t.Handle).ToArray();
            var gs = tensors.Select((_, i) => grad_tensors?[i]?.Handle ?? IntPtr.Zero).ToArray();
            fixed (IntPtr* ph = hs)
            fixed (IntPtr* pg = gs)
                Native.Check(Native.ys_backward(ph, pg, hs.Length, retain_graph ? 1 : 0, create_graph ? 1 : 0));
            GC.KeepAlive(tensors);
            GC.KeepAlive(grad_tensors);
        }
    }

    public static class cuda
    {
        public static bool is_available() => Native.ys_cuda_is_available() != 0;
        public static int device_count() => Native.ys_cuda_device_count();
        public static void synchronize(int device = 0) => Native.Check(Native.ys_cuda_synchronize(device));
        public static void empty_cache() => Native.Check(Native.ys_cuda_empty_cache());

        public static unsafe string get_device_name(int device = 0)
        {
            var buf = stackalloc byte[256];
            Native.Check(Native.ys_cuda_device_name(device, buf, 256));
            return Marshal.PtrToStringUTF8((IntPtr)buf)!;
        }

        /// <summary>Caching-allocator figures in bytes: allocated now, reserved, peak allocated, device total.</summary>
        public static unsafe (long allocated, long reserved, long max_allocated, long total) memory_stats(int device = 0)
        {
            long a, r, m, t;
            Native.Check(Native.ys_cuda_memory(device, &a, &r, &m, &t));
            return (a, r, m, t);
        }
    }

    public static class backends
    {
        public static class cudnn
        {
            static bool s_benchmark;
            public static bool benchmark
            {
                get => s_benchmark;
                set { Native.Check(Native.ys_cudnn_set_benchmark(value ? 1 : 0)); s_benchmark = value; }
            }
        }
    }
}
