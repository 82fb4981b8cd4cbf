namespace YoloSweep.Torch;

/// <summary>One entry of a tensor subscript, as in TorchSharp: an integer, a slice (a C# Range such as
/// <c>1..^1</c> or <c>..</c>, or <see cref="Slice"/> with a step), <see cref="Ellipsis"/>, <see cref="None"/>
/// (a new axis), a bool, or an index tensor (int64 positions or a bool mask). Ints, Ranges and Tensors convert
/// implicitly: <c>t[.., 0]</c>, <c>t[TensorIndex.Ellipsis, 1..3]</c>, <c>t[mask]</c>.</summary>
public sealed class TensorIndex
{
    internal enum Kind { Single, Slice, Ellipsis, None, Bool, Tensor }

    internal readonly Kind kind;
    internal readonly long index;
    internal readonly long? start, stop;
    internal readonly long step;
    internal readonly bool flag;
    internal readonly torch.Tensor? tensor;

    TensorIndex(Kind kind, long index = 0, long? start = null, long? stop = null, long step = 1, bool flag = false,
        torch.Tensor? tensor = null)
    {
        this.kind = kind;
        this.index = index;
        this.start = start;
        this.stop = stop;
        this.step = step;
        this.flag = flag;
        this.tensor = tensor;
    }

    /// <summary><c>...</c>: as many full slices as needed to index every dimension.</summary>
    public static readonly TensorIndex Ellipsis = new(Kind.Ellipsis);
    /// <summary>A new axis of size 1 (Python's <c>None</c> / <c>np.newaxis</c>).</summary>
    public static readonly TensorIndex None = new(Kind.None);
    public static readonly TensorIndex Null = None;
    /// <summary><c>:</c>, the whole dimension.</summary>
    public static readonly TensorIndex Colon = new(Kind.Slice);

    public static TensorIndex Single(long i) => new(Kind.Single, index: i);

    /// <summary><c>start:stop:step</c>; negative start/stop count from the end, null means the end; step ≥ 1.</summary>
    public static TensorIndex Slice(long? start = null, long? stop = null, long step = 1) =>
        step >= 1 ? new(Kind.Slice, start: start, stop: stop, step: step)
                  : throw new TorchException($"slice step must be positive, got {step}");

    public static TensorIndex Bool(bool value) => new(Kind.Bool, flag: value);
    public static TensorIndex Tensor(torch.Tensor t) => new(Kind.Tensor, tensor: t);

    public static implicit operator TensorIndex(long i) => Single(i);
    public static implicit operator TensorIndex(int i) => Single(i);
    public static implicit operator TensorIndex(Index i) =>
        !i.IsFromEnd ? Single(i.Value)
        : i.Value > 0 ? Single(-i.Value)
        : throw new TorchException("index ^0 is past the end of any dimension");
    public static implicit operator TensorIndex(bool b) => Bool(b);
    public static implicit operator TensorIndex(torch.Tensor t) => Tensor(t);

    public static implicit operator TensorIndex(Range r)
    {
        // ^k counts from the end (-k); ^0 as a start is the end itself (an empty slice), as an end "to the end".
        long? s = !r.Start.IsFromEnd ? r.Start.Value : r.Start.Value == 0 ? long.MaxValue : -r.Start.Value;
        long? e = r.End.IsFromEnd ? (r.End.Value == 0 ? null : -r.End.Value) : r.End.Value;
        return new(Kind.Slice, start: s, stop: e);
    }

    public override string ToString() => kind switch
    {
        Kind.Single => index.ToString(),
        Kind.Slice => $"{start}:{stop}" + (step != 1 ? $":{step}" : ""),
        Kind.Ellipsis => "...",
        Kind.None => "None",
        Kind.Bool => flag ? "True" : "False",
        _ => $"tensor({tensor})",
    };
}
