using System.Runtime.InteropServices;

namespace YoloSweep.Torch;

/// <summary>Chooses the BLAS that libtorch runs on, before libtorch is loaded.</summary>
/// <remarks>Debian's libtorch links <c>libblas.so.3</c>, and every CPU matmul and the small convolutions it does not
/// give to oneDNN (batch 1, kernels up to 3×3, small maps) run on it. The system alternative is often the reference
/// netlib BLAS, 10–20× slower than OpenBLAS. The dynamic linker reuses a library already loaded under the same
/// soname, so loading a BLAS by its full path before libtorch decides which one libtorch gets, whatever the
/// alternative points to. <c>YOLOSWEEP_BLAS</c>: <c>auto</c> (default: OpenBLAS's OpenMP build when installed, else
/// the system's), <c>openblas</c> (required), <c>reference</c> (netlib; the parity tests run on it, as the fixtures
/// were made on it), <c>system</c> (no choice made), or a folder holding a <c>libblas.so.3</c>.</remarks>
internal static class Blas
{
    const string Lib = "/usr/lib/x86_64-linux-gnu";
    const string EnvVar = "YOLOSWEEP_BLAS";
    static readonly string OpenBlas = Path.Combine(Lib, "openblas-openmp");
    static readonly string Reference = Path.Combine(Lib, "blas");
    static readonly string ReferenceLapack = Path.Combine(Lib, "lapack");

    /// <summary>The value of YOLOSWEEP_BLAS in effect ("auto" when unset).</summary>
    internal static string Choice { get; private set; } = "auto";

    internal static void Preload()
    {
        var choice = Environment.GetEnvironmentVariable(EnvVar);
        Choice = string.IsNullOrWhiteSpace(choice) ? "auto" : choice.Trim();
        foreach (var file in Plan(Choice)) NativeLibrary.Load(file);
    }

    /// <summary>The libraries to load, in order, for a YOLOSWEEP_BLAS value (none: libtorch gets the system's).</summary>
    internal static IReadOnlyList<string> Plan(string choice)
    {
        switch (choice)
        {
            case "system":
                return [];
            case "auto":
                return File.Exists(Path.Combine(OpenBlas, "libblas.so.3")) ? Folder(OpenBlas, OpenBlas) : [];
            case "openblas":
                Require(choice, OpenBlas, "OpenBLAS (Debian package libopenblas0-openmp; `make deps` installs it)");
                return Folder(OpenBlas, OpenBlas);
            case "reference":
                Require(choice, Reference, "the reference BLAS (Debian package libblas3)");
                return Folder(Reference, ReferenceLapack);
            default:
                if (!Path.IsPathRooted(choice))
                    throw new ArgumentException($"{EnvVar}='{choice}': expected auto, openblas, reference, system or a folder holding libblas.so.3");
                Require(choice, choice, $"a libblas.so.3 in {choice}");
                return Folder(choice, choice);
        }
    }

    static void Require(string choice, string folder, string what)
    {
        if (!File.Exists(Path.Combine(folder, "libblas.so.3")))
            throw new DllNotFoundException($"{EnvVar}={choice} needs {what}: {Path.Combine(folder, "libblas.so.3")} is missing");
    }

    // OpenBLAS's libblas.so.3 needs its libopenblas.so.0: load that one from the same folder first, so the alternative
    // for it cannot pick another build. LAPACK comes from the same family, so both resolve the same sgemm_.
    static List<string> Folder(string blasDir, string lapackDir) =>
        new[] { Path.Combine(blasDir, "libopenblas.so.0"), Path.Combine(blasDir, "libblas.so.3"), Path.Combine(lapackDir, "liblapack.so.3") }
            .Where(File.Exists).ToList();

    /// <summary>The file behind libblas.so.3 in this process (null before libtorch is loaded or when none is).</summary>
    internal static string? Loaded()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                // the mapped file is the real one: blas/libblas.so.3.11.0, openblas-openmp/libblas.so.3
                var at = line.IndexOf('/');
                if (at >= 0 && line.AsSpan(at).Contains("/libblas.so.3", StringComparison.Ordinal)) return line[at..];
            }
        }
        catch (IOException) { }
        return null;
    }
}
