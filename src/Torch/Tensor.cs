using System.Runtime.InteropServices;

namespace YoloSweep.Torch;

public static partial class torch
{
    /// <summary>A libtorch tensor. Owns one native handle (an at::Tensor); Dispose frees it at once, a
    /// DisposeScope frees it at the end of the step, the finalizer is only a safety net.</summary>
    public partial class Tensor : IDisposable
    {
        IntPtr _handle;
        internal DisposeScope? Scope;
        static long s_live;

        internal Tensor(IntPtr handle)
        {
            _handle = handle;
            Interlocked.Increment(ref s_live);
            DisposeScope.Current?.Add(this);
        }

        /// <summary>Native tensor handles owned by managed Tensor objects and not yet freed, process-wide. A leak
        /// check: it must return to its value before a step once the step's dispose scope (or the finalizer) ran.</summary>
        public static long LiveHandles => Interlocked.Read(ref s_live);

        /// <summary>Handles freed by the finalizer rather than by Dispose or a dispose scope, process-wide: each one is
        /// a tensor some code forgot. A leak check that the garbage collector cannot hide.</summary>
        public static long FinalizedHandles => Interlocked.Read(ref s_finalized);
        static long s_finalized;

        internal IntPtr Handle =>
            _handle != IntPtr.Zero ? _handle : throw new ObjectDisposedException("Tensor", "tensor was disposed");

        public bool IsInvalid => _handle == IntPtr.Zero;

        public void Dispose()
        {
            Scope?.Remove(this);
            Free();
            GC.SuppressFinalize(this);
        }

        void Free()
        {
            var h = Interlocked.Exchange(ref _handle, IntPtr.Zero);
            if (h == IntPtr.Zero) return;
            Native.ys_tensor_free(h);
            Interlocked.Decrement(ref s_live);
        }

        ~Tensor()
        {
            if (_handle != IntPtr.Zero) Interlocked.Increment(ref s_finalized);
            Free();
        }

        /// <summary>Moves this tensor out of the innermost dispose scope into the enclosing one.</summary>
        public Tensor MoveToOuterDisposeScope()
        {
            Scope?.MoveToOuter(this);
            return this;
        }

        /// <summary>Takes this tensor out of any dispose scope: the caller now owns it.</summary>
        public Tensor DetachFromDisposeScope()
        {
            Scope?.Remove(this);
            return this;
        }

        // ------------------------------------------------------------ metadata

        public unsafe long[] shape
        {
            get
            {
                var n = Native.ys_tensor_ndim(Handle);
                var s = new long[n];
                fixed (long* p = s) Native.ys_tensor_shape(Handle, p);
                return s;
            }
        }

        public unsafe long[] stride()
        {
            var s = new long[dim()];
            fixed (long* p = s) Native.Check(Native.ys_tensor_strides(Handle, p));
            return s;
        }

        public long size(int d)
        {
            var s = shape;
            return s[d < 0 ? d + s.Length : d];
        }

        public int dim() => Native.ys_tensor_ndim(Handle);
        public int ndim => dim();
        public long numel() => Native.ys_tensor_numel(Handle);
        public ScalarType dtype => (ScalarType)Native.ys_tensor_dtype(Handle);

        public unsafe Device device
        {
            get
            {
                int type, index;
                Native.ys_tensor_device(Handle, &type, &index);
                return new Device((DeviceType)type, index);
            }
        }

        public bool is_cuda => device.type == DeviceType.CUDA;
        public bool is_leaf => Native.ys_tensor_is_leaf(Handle) != 0;

        public bool requires_grad
        {
            get => Native.ys_tensor_requires_grad(Handle) != 0;
            set => requires_grad_(value);
        }

        /// <summary>The accumulated gradient, or null. Each read returns a new handle to the same storage.</summary>
        public Tensor? grad
        {
            get
            {
                var g = Native.ys_tensor_grad(Handle);
                if (g == IntPtr.Zero)
                {
                    if (Native.ys_last_error() != IntPtr.Zero) Native.Throw();
                    return null;
                }
                return new Tensor(g);
            }
            set => Native.Check(Native.ys_tensor_set_grad(Handle, value?.Handle ?? IntPtr.Zero));
        }

        /// <summary>Replaces this tensor's data keeping its identity (as param.data = src in PyTorch).</summary>
        public void set_data(Tensor src) => Native.Check(Native.ys_tensor_set_data(Handle, src.Handle));

        /// <summary>A second handle to the same tensor (same storage and autograd identity).</summary>
        public Tensor alias() => new(Native.Check(Native.ys_tensor_alias(Handle)));

        public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false) =>
            torch.autograd.backward([this], gradient is null ? null : [gradient], retain_graph, create_graph);

        // ------------------------------------------------------------ data access

        /// <summary>Copies the elements (row-major) into a new array; T must match dtype.</summary>
        public unsafe T[] ToArray<T>() where T : unmanaged
        {
            CheckElementType<T>();
            var n = numel();
            var result = new T[n];
            fixed (T* p = result) Native.Check(Native.ys_tensor_copy_to(Handle, p, n * sizeof(T)));
            return result;
        }

        /// <summary>A view of a contiguous CPU tensor's memory, without copying. Valid while the tensor lives.</summary>
        public unsafe Span<T> data<T>() where T : unmanaged
        {
            CheckElementType<T>();
            if (device.type != DeviceType.CPU) throw new TorchException($"data<T>() needs a CPU tensor, this one is on {device}");
            if (!is_contiguous()) throw new TorchException("data<T>() needs a contiguous tensor; call contiguous() first");
            var p = Native.Check(Native.ys_tensor_data_ptr(Handle));
            return new Span<T>((void*)p, checked((int)numel()));
        }

        /// <summary>The single value of a one-element tensor.</summary>
        public T item<T>() where T : unmanaged
        {
            if (numel() != 1) throw new TorchException($"item() needs a tensor with one element, got shape [{string.Join(", ", shape)}]");
            using var c = typeof(T) == typeof(float) ? to(ScalarType.Float32)
                : typeof(T) == typeof(double) ? to(ScalarType.Float64)
                : typeof(T) == typeof(long) ? to(ScalarType.Int64)
                : typeof(T) == typeof(int) ? to(ScalarType.Int32)
                : typeof(T) == typeof(bool) ? to(ScalarType.Bool)
                : alias();
            return c.ToArray<T>()[0];
        }

        public double ToDouble() => item<double>();
        public float ToSingle() => item<float>();
        public long ToInt64() => item<long>();

        unsafe void CheckElementType<T>() where T : unmanaged
        {
            var expected = dtype;
            var ok = expected switch
            {
                ScalarType.Float32 => typeof(T) == typeof(float),
                ScalarType.Float64 => typeof(T) == typeof(double),
                ScalarType.Int64 => typeof(T) == typeof(long),
                ScalarType.Int32 => typeof(T) == typeof(int),
                ScalarType.Int16 => typeof(T) == typeof(short),
                ScalarType.Int8 => typeof(T) == typeof(sbyte),
                ScalarType.Byte => typeof(T) == typeof(byte),
                ScalarType.Bool => typeof(T) == typeof(bool) || typeof(T) == typeof(byte),
                ScalarType.Float16 => typeof(T) == typeof(Half) || typeof(T) == typeof(ushort),
                ScalarType.BFloat16 => typeof(T) == typeof(ushort),
                _ => false,
            };
            if (!ok) throw new TorchException($"tensor of dtype {expected} cannot be read as {typeof(T).Name}");
        }

        public string str() => Marshal.PtrToStringUTF8(Native.Check(Native.ys_tensor_to_string(Handle)))!;

        public override string ToString() =>
            IsInvalid ? "Tensor(disposed)" : $"Tensor([{string.Join(", ", shape)}], {dtype}, {device})";
    }
}
