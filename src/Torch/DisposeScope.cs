namespace YoloSweep.Torch;

/// <summary>Frees, when disposed, every tensor created on this thread while it was the innermost scope, except
/// those moved out (MoveToOuterDisposeScope) or detached. One scope per training step keeps native memory flat
/// without relying on the garbage collector (the TorchSharp NewDisposeScope idea).</summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] static List<DisposeScope>? t_stack;
    readonly HashSet<torch.Tensor> _tensors = new(ReferenceEqualityComparer.Instance);
    readonly DisposeScope? _outer;
    bool _disposed;

    internal DisposeScope()
    {
        t_stack ??= [];
        _outer = t_stack.Count > 0 ? t_stack[^1] : null;
        t_stack.Add(this);
    }

    internal static DisposeScope? Current => t_stack is { Count: > 0 } s ? s[^1] : null;

    /// <summary>Number of live tensors this scope will free.</summary>
    public int Count => _tensors.Count;

    internal void Add(torch.Tensor t)
    {
        _tensors.Add(t);
        t.Scope = this;
    }

    internal void Remove(torch.Tensor t)
    {
        _tensors.Remove(t);
        t.Scope = null;
    }

    internal void MoveToOuter(torch.Tensor t)
    {
        Remove(t);
        _outer?.Add(t);
    }

    /// <summary>Moves a tensor out of this scope into the enclosing one and returns it.</summary>
    public T MoveToOuter<T>(T t) where T : torch.Tensor { MoveToOuter((torch.Tensor)t); return t; }

    /// <summary>Keeps a result alive past this scope: moves it to the enclosing scope if this scope owns it. A tensor
    /// made outside (a forward that returns its input, or a parameter) is left where it is.</summary>
    public T Keep<T>(T t) where T : torch.Tensor
    {
        if (ReferenceEquals(t.Scope, this)) MoveToOuter(t);
        return t;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _tensors)
        {
            t.Scope = null;
            t.Dispose();
        }
        _tensors.Clear();
        t_stack?.Remove(this);
    }
}
