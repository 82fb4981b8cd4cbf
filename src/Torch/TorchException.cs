namespace YoloSweep.Torch;

/// <summary>An error raised by libtorch (shape mismatch, bad dtype, CUDA error…), carrying its message.</summary>
public class TorchException : Exception
{
    public TorchException(string message) : base(message) { }

    internal static TorchException From(string message) =>
        message.Contains("out of memory", StringComparison.OrdinalIgnoreCase)
            ? new TorchOutOfMemoryException(message)
            : new TorchException(message);
}

/// <summary>The device ran out of memory; callers report batch size and memory, and may retry smaller.</summary>
public sealed class TorchOutOfMemoryException : TorchException
{
    public TorchOutOfMemoryException(string message) : base(message) { }
}
