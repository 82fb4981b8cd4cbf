using System.Reflection;
using System.Runtime.InteropServices;

namespace YoloSweep.Torch;

/// <summary>P/Invoke surface of libys_torch (src/Torch/native/shim.h).</summary>
internal static unsafe partial class Native
{
    internal const string Lib = "ys_torch";

    [StructLayout(LayoutKind.Sequential)]
    internal struct Arg
    {
        public int kind;
        public int len;
        public long i;
        public double d;
        public IntPtr p;
    }

    static Native() => NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, Resolve);

    /// <summary>Finds libys_torch without LD_LIBRARY_PATH: $YOLOSWEEP_NATIVE_DIR, beside this assembly, or a
    /// build/native folder above it (a source checkout after `make native`).</summary>
    static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Lib) return IntPtr.Zero;
        Blas.Preload();
        const string file = "libys_torch.so";
        var candidates = new List<string>();
        var env = Environment.GetEnvironmentVariable("YOLOSWEEP_NATIVE_DIR");
        if (!string.IsNullOrEmpty(env)) candidates.Add(Path.Combine(env, file));
        var dir = Path.GetDirectoryName(assembly.Location);
        if (!string.IsNullOrEmpty(dir)) candidates.Add(Path.Combine(dir, file));
        for (var d = dir is null ? null : new DirectoryInfo(dir); d != null; d = d.Parent)
            candidates.Add(Path.Combine(d.FullName, "build", "native", file));
        foreach (var c in candidates)
            if (File.Exists(c) && NativeLibrary.TryLoad(c, out var h)) return h;
        throw new DllNotFoundException(
            $"{file} not found (looked in: {string.Join(", ", candidates.Take(3))}, …). Run `make native` first.");
    }

    /// <summary>Throws the pending libtorch error as a TorchException.</summary>
    internal static void Throw()
    {
        var p = ys_last_error();
        var msg = p == IntPtr.Zero ? "libtorch call failed without a message" : Marshal.PtrToStringUTF8(p)!;
        throw TorchException.From(msg);
    }

    internal static IntPtr Check(IntPtr p) { if (p == IntPtr.Zero) Throw(); return p; }
    internal static void Check(int rc) { if (rc != 0) Throw(); }

    [LibraryImport(Lib)] internal static partial IntPtr ys_last_error();
    [LibraryImport(Lib)] internal static partial IntPtr ys_version();

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr ys_op_find(string name, string overload);
    [LibraryImport(Lib)] internal static partial void ys_op_free(IntPtr op);
    [LibraryImport(Lib)] internal static partial IntPtr ys_op_schema(IntPtr op);
    [LibraryImport(Lib)]
    internal static partial int ys_op_call(IntPtr op, Arg* args, int nargs, IntPtr* kwnames, int nkw, Arg* outs,
        int maxouts, int* nouts);

    [LibraryImport(Lib)] internal static partial void ys_tensor_free(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr ys_tensor_alias(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr ys_tensor_from_data(void* data, long* shape, int ndim, int dtype);
    [LibraryImport(Lib)]
    internal static partial IntPtr ys_tensor_from_blob(void* data, long* shape, int ndim, int dtype,
        delegate* unmanaged<IntPtr, void> deleter, IntPtr ctx);
    [LibraryImport(Lib)] internal static partial int ys_tensor_ndim(IntPtr t);
    [LibraryImport(Lib)] internal static partial int ys_tensor_shape(IntPtr t, long* shape);
    [LibraryImport(Lib)] internal static partial int ys_tensor_strides(IntPtr t, long* strides);
    [LibraryImport(Lib)] internal static partial int ys_tensor_dtype(IntPtr t);
    [LibraryImport(Lib)] internal static partial int ys_tensor_device(IntPtr t, int* type, int* index);
    [LibraryImport(Lib)] internal static partial long ys_tensor_numel(IntPtr t);
    [LibraryImport(Lib)] internal static partial int ys_tensor_is_contiguous(IntPtr t, int memoryFormat);
    [LibraryImport(Lib)] internal static partial IntPtr ys_tensor_data_ptr(IntPtr t);
    [LibraryImport(Lib)] internal static partial int ys_tensor_copy_to(IntPtr t, void* dst, long nbytes);
    [LibraryImport(Lib)] internal static partial int ys_tensor_requires_grad(IntPtr t);
    [LibraryImport(Lib)] internal static partial int ys_tensor_is_leaf(IntPtr t);
    [LibraryImport(Lib)] internal static partial IntPtr ys_tensor_grad(IntPtr t);
    [LibraryImport(Lib)] internal static partial int ys_tensor_set_grad(IntPtr t, IntPtr grad);
    [LibraryImport(Lib)] internal static partial int ys_tensor_set_data(IntPtr t, IntPtr src);
    [LibraryImport(Lib)] internal static partial IntPtr ys_tensor_to_string(IntPtr t);
    [LibraryImport(Lib)]
    internal static partial int ys_backward(IntPtr* tensors, IntPtr* grads, int n, int retainGraph, int createGraph);

    [LibraryImport(Lib)] internal static partial int ys_grad_enabled();
    [LibraryImport(Lib)] internal static partial void ys_set_grad_enabled(int enabled);
    [LibraryImport(Lib)] internal static partial int ys_manual_seed(ulong seed);
    [LibraryImport(Lib)] internal static partial void ys_set_num_threads(int n);
    [LibraryImport(Lib)] internal static partial int ys_get_num_threads();
    [LibraryImport(Lib)] internal static partial int ys_autocast_set(int deviceType, int enabled, int dtype);
    [LibraryImport(Lib)] internal static partial int ys_autocast_enabled(int deviceType);
    [LibraryImport(Lib)] internal static partial int ys_autocast_dtype(int deviceType);
    [LibraryImport(Lib)] internal static partial void ys_autocast_clear_cache();
    [LibraryImport(Lib)] internal static partial void ys_autocast_increment_nesting();
    [LibraryImport(Lib)] internal static partial int ys_autocast_decrement_nesting();

    [LibraryImport(Lib)] internal static partial IntPtr ys_generator_new(ulong seed, int deviceType, int deviceIndex);
    [LibraryImport(Lib)] internal static partial void ys_generator_free(IntPtr g);
    [LibraryImport(Lib)] internal static partial int ys_generator_manual_seed(IntPtr g, ulong seed);
    [LibraryImport(Lib)] internal static partial ulong ys_generator_initial_seed(IntPtr g);

    [LibraryImport(Lib)] internal static partial int ys_cuda_is_available();
    [LibraryImport(Lib)] internal static partial int ys_cuda_device_count();
    [LibraryImport(Lib)] internal static partial int ys_cuda_synchronize(int device);
    [LibraryImport(Lib)] internal static partial int ys_cudnn_set_benchmark(int enabled);
    [LibraryImport(Lib)]
    internal static partial int ys_cuda_memory(int device, long* allocated, long* reserved, long* maxAllocated, long* total);
    [LibraryImport(Lib)] internal static partial int ys_cuda_device_name(int device, byte* buf, int buflen);
    [LibraryImport(Lib)] internal static partial int ys_cuda_empty_cache();

    [LibraryImport(Lib)] internal static partial IntPtr ys_nms(IntPtr boxes, IntPtr scores, double iou);
    [LibraryImport(Lib)] internal static partial int ys_image_codecs_available();
    [LibraryImport(Lib)] internal static partial IntPtr ys_image_decode(byte* bytes, long n);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ys_image_encode_png(IntPtr t, string path);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ys_image_encode_jpeg(IntPtr t, string path, int quality);
}
