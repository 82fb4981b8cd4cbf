using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch;

/// <summary>One argument of an operator call: a tensor, number, list, dtype, device… (see shim.h ys_kind).</summary>
public readonly struct Arg
{
    internal readonly int Kind;
    internal readonly long I;
    internal readonly double D;
    internal readonly object? O;

    Arg(int kind, long i = 0, double d = 0, object? o = null) { Kind = kind; I = i; D = d; O = o; }

    public static readonly Arg None = new(0);
    internal static Arg OptionalTensors(Tensor?[] ts) => new(13, o: ts);
    internal static Arg Bools(bool[] b) => new(14, o: b.Select(x => x ? 1L : 0L).ToArray());

    public static implicit operator Arg(Tensor? t) => t is null ? None : new(1, o: t);
    public static implicit operator Arg(long v) => new(2, i: v);
    public static implicit operator Arg(int v) => new(2, i: v);
    public static implicit operator Arg(double v) => new(3, d: v);
    public static implicit operator Arg(float v) => new(3, d: v);
    public static implicit operator Arg(bool v) => new(4, i: v ? 1 : 0);
    public static implicit operator Arg(long[]? v) => v is null ? None : new(5, o: v);
    public static implicit operator Arg(double[]? v) => v is null ? None : new(6, o: v);
    public static implicit operator Arg(Tensor[]? v) => v is null ? None : new(7, o: v);
    public static implicit operator Arg(string? v) => v is null ? None : new(8, o: v);
    public static implicit operator Arg(ScalarType v) => new(9, i: (long)v);
    public static implicit operator Arg(ScalarType? v) => v is null ? None : new(9, i: (long)v.Value);
    public static implicit operator Arg(Device v) => new(10, i: (long)v.type, d: v.index);
    public static implicit operator Arg(Device? v) => v is null ? None : (Arg)v.Value;
    public static implicit operator Arg(Generator? g) => g is null ? None : new(11, o: g);
    public static implicit operator Arg(MemoryFormat v) => new(12, i: (long)v);
    public static implicit operator Arg(long? v) => v is null ? None : new(2, i: v.Value);
    public static implicit operator Arg(double? v) => v is null ? None : new(3, d: v.Value);
}

/// <summary>An ATen operator found by schema name ("aten::conv2d"), called through libtorch's dispatcher so that
/// autograd, autocast and every backend apply. Handles are cached per name.</summary>
public sealed unsafe class Op
{
    const int MaxOuts = 256;
    static readonly ConcurrentDictionary<string, Op> Cache = new();
    readonly IntPtr _handle;
    public string Name { get; }

    Op(string name)
    {
        Name = name;
        var dot = name.IndexOf('.');
        var (baseName, overload) = dot < 0 ? (name, "") : (name[..dot], name[(dot + 1)..]);
        _handle = Native.Check(Native.ys_op_find(baseName, overload));
    }

    /// <summary>The operator named "ns::name" or "ns::name.overload".</summary>
    public static Op Get(string name) => Cache.GetOrAdd(name, n => new Op(n));

    public string Schema => Marshal.PtrToStringUTF8(Native.Check(Native.ys_op_schema(_handle)))!;

    /// <summary>Calls with positional arguments; returns the first tensor result (others are freed).</summary>
    public static Tensor Call(string name, params Arg[] args) => Get(name).Invoke(args, null).Single();

    /// <summary>Calls and returns every tensor result in order (tensor lists flattened).</summary>
    public static Tensor[] CallMany(string name, params Arg[] args) => Get(name).Invoke(args, null).All();

    /// <summary>Calls with keyword arguments after the positional ones.</summary>
    public static Tensor CallKw(string name, Arg[] args, params (string name, Arg value)[] kw) =>
        Get(name).Invoke([.. args, .. kw.Select(k => k.value)], kw.Select(k => k.name).ToArray()).Single();

    /// <summary>Calls an operator returning a number.</summary>
    public static double CallScalar(string name, params Arg[] args) => Get(name).Invoke(args, null).Number();

    internal Results Invoke(Arg[] args, string[]? kwnames)
    {
        var n = args.Length;
        var nkw = kwnames?.Length ?? 0;
        var native = stackalloc Native.Arg[n];
        var outs = stackalloc Native.Arg[MaxOuts];
        var kw = stackalloc IntPtr[Math.Max(nkw, 1)];
        List<GCHandle>? pins = null;
        List<IntPtr>? strings = null;
        try
        {
            for (var i = 0; i < n; i++) native[i] = ToNative(args[i], ref pins, ref strings);
            for (var i = 0; i < nkw; i++)
            {
                strings ??= [];
                var s = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8(kwnames![i]);
                strings.Add(s);
                kw[i] = s;
            }
            int nouts;
            var rc = Native.ys_op_call(_handle, native, n - nkw, kw, nkw, outs, MaxOuts, &nouts);
            GC.KeepAlive(args);
            if (rc != 0) Native.Throw();
            return new Results(outs, nouts);
        }
        finally
        {
            if (pins != null) foreach (var h in pins) h.Free();
            if (strings != null) foreach (var s in strings) System.Runtime.InteropServices.Marshal.FreeCoTaskMem(s);
        }
    }

    static Native.Arg ToNative(in Arg a, ref List<GCHandle>? pins, ref List<IntPtr>? strings)
    {
        var r = new Native.Arg { kind = a.Kind, i = a.I, d = a.D };
        switch (a.Kind)
        {
            case 1:
                r.p = ((Tensor)a.O!).Handle;
                break;
            case 5 or 14:
                r.len = ((long[])a.O!).Length;
                r.p = Pin(a.O!, ref pins);
                break;
            case 6:
                r.len = ((double[])a.O!).Length;
                r.p = Pin(a.O!, ref pins);
                break;
            case 7 or 13:
                var ts = (Tensor?[])a.O!;
                var hs = new IntPtr[ts.Length];
                for (var k = 0; k < ts.Length; k++) hs[k] = ts[k]?.Handle ?? IntPtr.Zero;
                r.len = hs.Length;
                r.p = Pin(hs, ref pins);
                break;
            case 8:
                strings ??= [];
                r.p = System.Runtime.InteropServices.Marshal.StringToCoTaskMemUTF8((string)a.O!);
                strings.Add(r.p);
                break;
            case 10:
                r.len = (int)a.D;
                r.d = 0;
                break;
            case 11:
                r.p = ((Generator)a.O!).Handle;
                break;
        }
        return r;
    }

    static IntPtr Pin(object o, ref List<GCHandle>? pins)
    {
        var h = GCHandle.Alloc(o, GCHandleType.Pinned);
        (pins ??= []).Add(h);
        return h.AddrOfPinnedObject();
    }

    /// <summary>Results of one call, copied out of native memory; owns the tensors until taken.</summary>
    internal readonly struct Results
    {
        readonly Native.Arg[] _items;

        public Results(Native.Arg* outs, int n)
        {
            _items = new Native.Arg[n];
            for (var i = 0; i < n; i++) _items[i] = outs[i];
        }

        public Tensor Single()
        {
            Tensor? first = null;
            foreach (var a in _items)
            {
                if (a.kind != 1) continue;
                if (first == null) first = new Tensor(a.p);
                else Native.ys_tensor_free(a.p);
            }
            return first ?? throw new TorchException("operator returned no tensor");
        }

        public Tensor[] All()
        {
            var list = new List<Tensor>();
            foreach (var a in _items)
                if (a.kind == 1) list.Add(new Tensor(a.p));
            return list.ToArray();
        }

        public double Number()
        {
            double? v = null;
            foreach (var a in _items)
            {
                if (a.kind == 1) Native.ys_tensor_free(a.p);
                else if (a.kind is 2 or 4) v ??= a.i;
                else if (a.kind == 3) v ??= a.d;
            }
            return v ?? throw new TorchException("operator returned no number");
        }
    }
}
