using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch.Tests;

public class BlasTests
{
    [Fact]
    public void Tests_run_libtorch_on_the_reference_BLAS_the_fixtures_were_made_on()
    {
        // tests/reference-blas.runsettings sets YOLOSWEEP_BLAS=reference for every test process
        Assert.Equal("reference", blas_choice);
        Assert.Contains("/x86_64-linux-gnu/blas/libblas.so.3", blas_library);
        using var a = ones(64, 64);
        using var p = a.mm(a);   // an sgemm through whatever libtorch linked: it must be the one reported
        Assert.Equal(64f, p[0, 0].item<float>());
    }
}

public class BlasChoiceTests
{
    const string Lib = "/usr/lib/x86_64-linux-gnu";

    [Fact]
    public void Auto_takes_OpenBLAS_when_it_is_installed_and_the_system_BLAS_otherwise()
    {
        var plan = Blas.Plan("auto");
        if (File.Exists($"{Lib}/openblas-openmp/libblas.so.3"))
            Assert.Equal([$"{Lib}/openblas-openmp/libopenblas.so.0", $"{Lib}/openblas-openmp/libblas.so.3", $"{Lib}/openblas-openmp/liblapack.so.3"], plan);
        else Assert.Empty(plan);
        Assert.Empty(Blas.Plan("system"));
    }

    [Fact]
    public void Reference_loads_netlib_BLAS_and_LAPACK_together()
    {
        Assert.Equal([$"{Lib}/blas/libblas.so.3", $"{Lib}/lapack/liblapack.so.3"], Blas.Plan("reference"));
    }

    [Fact]
    public void A_bad_value_is_an_error_naming_the_choices_or_the_missing_file()
    {
        var e = Assert.Throws<ArgumentException>(() => Blas.Plan("mkl"));
        Assert.Contains("YOLOSWEEP_BLAS='mkl': expected auto, openblas, reference, system", e.Message);
        var d = Assert.Throws<DllNotFoundException>(() => Blas.Plan("/nonexistent/blas"));
        Assert.Contains("/nonexistent/blas/libblas.so.3 is missing", d.Message);
    }
}
