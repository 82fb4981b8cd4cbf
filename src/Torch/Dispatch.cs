using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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
/// <remarks>The call path is kept allocation-light because every tensor op goes through it: arguments arrive as a
/// span (C# params span: no array), list arguments are copied into a stack buffer rather than pinned, strings are
/// converted to UTF-8 once and cached, and results are read straight from a stack buffer.</remarks>
[SkipLocalsInit]  // the native side writes every output slot it reports; zeroing the buffers costs per call
public sealed unsafe class Op
{
    const int MaxOuts = 64;         // single-result and number calls
    const int MaxOutsMany = 8192;   // tensor-list results (split, unbind, …)
    const int ScratchLongs = 256;   // list arguments copied to the stack up to this total
    static readonly ConcurrentDictionary<string, Op> Cache = new();
    static readonly ConcurrentDictionary<string, IntPtr> Utf8 = new();
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
    public static Op Get(string name) => Cache.TryGetValue(name, out var op) ? op : Cache.GetOrAdd(name, static n => new Op(n));

    public string Schema => Marshal.PtrToStringUTF8(Native.Check(Native.ys_op_schema(_handle)))!;

    /// <summary>Calls with positional arguments; returns the first tensor result (others are freed).</summary>
    public static Tensor Call(string name, params ReadOnlySpan<Arg> args) => Get(name).InvokeSingle(args, null);

    /// <summary>Calls and returns every tensor result in order (tensor lists flattened).</summary>
    public static Tensor[] CallMany(string name, params ReadOnlySpan<Arg> args) => Get(name).InvokeMany(args, null);

    /// <summary>Calls an operator for its effect (e.g. in-place _foreach_ ops returning nothing); results are freed.</summary>
    public static void Run(string name, params ReadOnlySpan<Arg> args) => Get(name).InvokeNumber(args, null, optional: true);

    /// <summary>Calls with keyword arguments after the positional ones.</summary>
    public static Tensor CallKw(string name, Arg[] args, params (string name, Arg value)[] kw)
    {
        var all = new Arg[args.Length + kw.Length];
        args.CopyTo(all, 0);
        var names = new string[kw.Length];
        for (var i = 0; i < kw.Length; i++) { all[args.Length + i] = kw[i].value; names[i] = kw[i].name; }
        return Get(name).InvokeSingle(all, names);
    }

    /// <summary>Calls an operator returning a number.</summary>
    public static double CallScalar(string name, params ReadOnlySpan<Arg> args) => Get(name).InvokeNumber(args, null, optional: false);

    Tensor InvokeSingle(ReadOnlySpan<Arg> args, string[]? kwnames)
    {
        var outs = stackalloc Native.Arg[MaxOuts];
        var n = Invoke(args, kwnames, outs, MaxOuts);
        Tensor? first = null;
        for (var i = 0; i < n; i++)
        {
            if (outs[i].kind != 1) continue;
            if (first == null) first = new Tensor(outs[i].p);
            else Native.ys_tensor_free(outs[i].p);
        }
        return first ?? throw new TorchException($"{Name} returned no tensor");
    }

    Tensor[] InvokeMany(ReadOnlySpan<Arg> args, string[]? kwnames)
    {
        var buffer = new Native.Arg[MaxOutsMany];
        fixed (Native.Arg* outs = buffer)
        {
            var n = Invoke(args, kwnames, outs, MaxOutsMany);
            var count = 0;
            for (var i = 0; i < n; i++) if (outs[i].kind == 1) count++;
            var result = new Tensor[count];
            count = 0;
            for (var i = 0; i < n; i++) if (outs[i].kind == 1) result[count++] = new Tensor(outs[i].p);
            return result;
        }
    }

    double InvokeNumber(ReadOnlySpan<Arg> args, string[]? kwnames, bool optional)
    {
        var outs = stackalloc Native.Arg[MaxOuts];
        var n = Invoke(args, kwnames, outs, MaxOuts);
        double? v = null;
        for (var i = 0; i < n; i++)
        {
            var a = outs[i];
            if (a.kind == 1) Native.ys_tensor_free(a.p);
            else if (a.kind is 2 or 4) v ??= a.i;
            else if (a.kind == 3) v ??= a.d;
        }
        return v ?? (optional ? double.NaN : throw new TorchException($"{Name} returned no number"));
    }

    int Invoke(ReadOnlySpan<Arg> args, string[]? kwnames, Native.Arg* outs, int maxOuts)
    {
        var n = args.Length;
        var nkw = kwnames?.Length ?? 0;
        var native = stackalloc Native.Arg[Math.Max(n, 1)];
        var kw = stackalloc IntPtr[Math.Max(nkw, 1)];
        var scratch = stackalloc long[ScratchLongs];
        var used = 0;
        List<GCHandle>? pins = null;
        try
        {
            for (var i = 0; i < n; i++) native[i] = ToNative(args[i], scratch, ref used, ref pins);
            for (var i = 0; i < nkw; i++) kw[i] = Utf8Of(kwnames![i]);
            int nouts;
            var rc = Native.ys_op_call(_handle, native, n - nkw, kw, nkw, outs, maxOuts, &nouts);
            // The tensors behind the handles must not be finalized while the native call runs.
            for (var i = 0; i < n; i++) GC.KeepAlive(args[i].O);
            if (rc != 0) Native.Throw();
            return nouts;
        }
        finally
        {
            if (pins != null) foreach (var h in pins) h.Free();
        }
    }

    static Native.Arg ToNative(in Arg a, long* scratch, ref int used, ref List<GCHandle>? pins)
    {
        var r = new Native.Arg { kind = a.Kind, i = a.I, d = a.D };
        switch (a.Kind)
        {
            case 1:
                r.p = ((Tensor)a.O!).Handle;
                break;
            case 5 or 14:
            {
                var v = (long[])a.O!;
                r.len = v.Length;
                if (used + v.Length <= ScratchLongs)
                {
                    var dst = scratch + used;
                    for (var k = 0; k < v.Length; k++) dst[k] = v[k];
                    used += v.Length;
                    r.p = (IntPtr)dst;
                }
                else r.p = Pin(v, ref pins);
                break;
            }
            case 6:
            {
                var v = (double[])a.O!;
                r.len = v.Length;
                if (used + v.Length <= ScratchLongs)
                {
                    var dst = (double*)(scratch + used);
                    for (var k = 0; k < v.Length; k++) dst[k] = v[k];
                    used += v.Length;
                    r.p = (IntPtr)dst;
                }
                else r.p = Pin(v, ref pins);
                break;
            }
            case 7 or 13:
            {
                var ts = (Tensor?[])a.O!;
                r.len = ts.Length;
                if (used + ts.Length <= ScratchLongs)
                {
                    var dst = (IntPtr*)(scratch + used);
                    for (var k = 0; k < ts.Length; k++) dst[k] = ts[k]?.Handle ?? IntPtr.Zero;
                    used += ts.Length;
                    r.p = (IntPtr)dst;
                }
                else
                {
                    var hs = new IntPtr[ts.Length];
                    for (var k = 0; k < ts.Length; k++) hs[k] = ts[k]?.Handle ?? IntPtr.Zero;
                    r.p = Pin(hs, ref pins);
                }
                break;
            }
            case 8:
                r.p = Utf8Of((string)a.O!);
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

    // Argument strings (reduction modes, einsum equations, keyword names) are few and reused: converted once,
    // kept for the process's life.
    static IntPtr Utf8Of(string s) =>
        Utf8.TryGetValue(s, out var p) ? p : Utf8.GetOrAdd(s, static v => Marshal.StringToCoTaskMemUTF8(v));

    static IntPtr Pin(object o, ref List<GCHandle>? pins)
    {
        var h = GCHandle.Alloc(o, GCHandleType.Pinned);
        (pins ??= []).Add(h);
        return h.AddrOfPinnedObject();
    }
}
