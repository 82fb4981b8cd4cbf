namespace YoloSweep.Trainer.Data;

/// <summary>Deterministic seeds from several integers (SplitMix64). HashCode.Combine is randomised per process,
/// which would break resume-equals-uninterrupted and reproducible datasets.</summary>
public static class SeedMix
{
    public static int Mix(params long[] parts)
    {
        ulong z = 0x9E3779B97F4A7C15UL;
        foreach (var p in parts)
        {
            z += (ulong)p + 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
        }
        return (int)(z & 0x7FFFFFFF);
    }
}
