namespace YoloSweep.Torch;

public static partial class torch
{
    /// <summary>A random number generator (at::Generator). With the same seed, rand/randn through it give
    /// PyTorch's numbers exactly (the same libtorch CPU generator).</summary>
    public sealed class Generator : IDisposable
    {
        internal IntPtr Handle { get; private set; }

        public Generator(ulong seed = 67280421310721UL, Device? device = null)
        {
            var d = device ?? Device.CPU;
            Handle = Native.Check(Native.ys_generator_new(seed, (int)d.type, d.index));
        }

        public Generator manual_seed(ulong seed) { Native.Check(Native.ys_generator_manual_seed(Handle, seed)); return this; }

        public ulong initial_seed() => Native.ys_generator_initial_seed(Handle);

        public void Dispose()
        {
            if (Handle != IntPtr.Zero) Native.ys_generator_free(Handle);
            Handle = IntPtr.Zero;
            GC.SuppressFinalize(this);
        }

        ~Generator() { if (Handle != IntPtr.Zero) Native.ys_generator_free(Handle); }
    }
}
