using static YoloSweep.Deploy.Tests.MakeNative;

namespace YoloSweep.Deploy.Tests;

/// <summary>The images build what `make native` and the managed build build: the same apt packages, the same
/// cmake invocation, the same CLI. A change to the Makefile that the Dockerfiles do not follow fails here.</summary>
public class DockerfileTests
{
    /// <summary>Makefile packages the images leave out, and why.</summary>
    static readonly Dictionary<string, string> TestOnlyPackages = new()
    {
        ["postgresql"] = "the database server `make test` starts; a cluster runs PostgreSQL in its own pod",
        ["chromium"] = "the headless browser of the dashboard's browser tests (tests/Dashboard.Tests); no image runs a browser",
    };

    /// <summary>What the Makefile expects on a developer's machine (README: .NET SDK, g++ and cmake).</summary>
    static readonly string[] BuildTools = ["cmake", "g++", "make"];

    /// <summary>The trainer images and how each gets its libtorch.</summary>
    public static TheoryData<string> TrainerImages => ["trainer-cpu", "trainer-cuda"];

    static readonly Dictionary<string, (string[] NotFromApt, string[] ExtraBuildPackages, bool CudaTorch)> Trainers = new()
    {
        ["trainer-cpu"] = ([], [], false),
        // Debian's libtorch-dev is CPU-only: the CUDA libtorch is PyTorch's wheel, installed with pip (python3-venv),
        // which brings its own BLAS (so no OpenBLAS for src/Torch/Blas.cs to load).
        ["trainer-cuda"] = (["libtorch-dev", "libopenblas0-openmp"], ["python3", "python3-venv"], true),
    };

    [Fact]
    public void Every_image_in_deploy_is_known_to_these_tests()
    {
        var images = Directory.GetFiles(Repo.PathOf("deploy"), "Dockerfile", SearchOption.AllDirectories)
            .Select(f => Path.GetFileName(Path.GetDirectoryName(f)!)).Order();
        Assert.Equal(["silo", .. Trainers.Keys.Order()], images);
    }

    [Theory]
    [InlineData("silo"), InlineData("trainer-cpu"), InlineData("trainer-cuda")]
    public void Every_image_is_multi_stage_and_runs_the_published_CLI(string image)
    {
        var file = Dockerfile.Load($"deploy/{image}/Dockerfile");
        Assert.True(file.Stages.Count >= 2, $"{file.Path} is not multi-stage");
        var managed = file.Stages.Single(s => s.Commands("dotnet").Any(c => c.Contains("publish")));
        var publish = managed.Commands("dotnet").Single(c => c.Contains("publish"));
        Assert.Contains("src/Client/YoloSweep.Client.csproj", publish);
        Assert.Equal("Release", publish[publish.IndexOf("-c") + 1]);
        Assert.Equal("/app", publish[publish.IndexOf("-o") + 1]);
        // Built from the repository root: the whole tree is the context (Dockerfile.dockerignore trims it).
        Assert.Contains(managed.Lines, l => l.Instruction == "COPY" && l.Arguments == ". .");
        Assert.True(File.Exists(Repo.PathOf($"deploy/{image}/Dockerfile.dockerignore")));

        Assert.Contains(file.Final.Lines, l => l.Instruction == "COPY" && l.Arguments.StartsWith($"--from={managed.Name} /app"));
        var entrypoint = file.Final.Last("ENTRYPOINT")!;
        Assert.Matches(image == "silo" ? "\"dotnet\", \"/app/yolosweep.dll\"" : "\"/app/yolosweep\"", entrypoint);
        Assert.Equal(image == "silo" ? "[\"silo\"]" : "[\"trainer\"]", file.Final.Last("CMD"));
    }

    [Fact]
    public void The_silo_image_has_no_native_build_and_listens_on_its_exposed_port()
    {
        var file = Dockerfile.Load("deploy/silo/Dockerfile");
        Assert.All(file.Stages, s => Assert.Empty(s.Commands("cmake")));
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:", file.Final.From);
        Assert.Equal("8080", file.Final.Last("EXPOSE"));
        Assert.Equal("YOLOSWEEP_URLS=http://0.0.0.0:8080", file.Final.Last("ENV"));
    }

    [Fact]
    public void The_Makefile_is_what_these_tests_understand()
    {
        var make = Load();
        Assert.Equal("src/Torch/native", make.Source);
        Assert.Equal(make.Build, make.BuildCommandDirectory);
        Assert.Equal(["CMAKE_PREFIX_PATH"], make.ConditionalDefinitions.Keys);
        Assert.Equal("$(TORCH_CMAKE_PREFIX)", make.ConditionalDefinitions["CMAKE_PREFIX_PATH"]);
    }

    [Theory, MemberData(nameof(TrainerImages))]
    public void Trainer_images_install_the_Makefiles_apt_packages(string image)
    {
        var make = Load();
        var (notFromApt, extra, _) = Trainers[image];
        var native = Dockerfile.Load($"deploy/{image}/Dockerfile").Named("native");
        var expected = make.AptPackages.Except(TestOnlyPackages.Keys).Except(notFromApt).Concat(BuildTools).Concat(extra);
        Assert.True(expected.Order().SequenceEqual(native.AptPackages().Order()),
            $"deploy/{image}/Dockerfile (stage native) installs [{string.Join(" ", native.AptPackages().Order())}], " +
            $"the Makefile's APT_PACKAGES make [{string.Join(" ", expected.Order())}]: bring them in step " +
            "(or declare the difference in tests/Deploy.Tests/DockerfileTests.cs with its reason)");
    }

    [Theory, MemberData(nameof(TrainerImages))]
    public void Trainer_images_build_the_shim_with_the_Makefiles_cmake_invocation(string image)
    {
        var make = Load();
        var file = Dockerfile.Load($"deploy/{image}/Dockerfile");
        var native = file.Named("native");
        var workdir = native.Last("WORKDIR")!;

        var configure = Assert.Single(native.Commands("cmake"), c => c.Contains("-S"));
        var (source, build, definitions) = ParseConfigure(configure);
        Assert.Equal(make.Source, source);
        Assert.Equal(make.Build, build);
        var expected = make.Definitions.ToDictionary(kv => kv.Key, kv => kv.Value.Replace("$(ROOT)", workdir));
        if (Trainers[image].CudaTorch)
        {
            // make native TORCH_CMAKE_PREFIX=$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')
            expected["CMAKE_PREFIX_PATH"] = make.ConditionalDefinitions["CMAKE_PREFIX_PATH"].Replace("$(TORCH_CMAKE_PREFIX)", "$TORCH_CMAKE_PREFIX");
            Assert.Contains(native.Runs, r => r.Contains("TORCH_CMAKE_PREFIX=") && r.Contains("torch.utils.cmake_prefix_path"));
            Assert.Contains(native.Commands("/opt/torch/bin/pip"), c => c.Any(t => t.StartsWith("torch==")));
        }
        Assert.Equal(expected.OrderBy(kv => kv.Key), definitions.OrderBy(kv => kv.Key));

        var buildCommand = Assert.Single(native.Commands("cmake"), c => c.Contains("--build"));
        Assert.Equal(make.BuildCommandDirectory, buildCommand[buildCommand.IndexOf("--build") + 1]);
        Assert.Contains(native.Lines, l => l.Instruction == "COPY" && l.Arguments == $"{make.Source}/ {make.Source}/");

        // The shim goes beside the managed assemblies, where the binding looks for it.
        var library = $"{expected["CMAKE_LIBRARY_OUTPUT_DIRECTORY"]}/libys_torch.so";
        Assert.Contains(native.Commands("test"), c => c.SequenceEqual(["test", "-f", library]));
        Assert.Equal("/app", file.Final.Last("WORKDIR"));
        Assert.Contains(file.Final.Lines, l => l.Instruction == "COPY" && l.Arguments == $"--from=native {library} ./");
    }

    [Theory, MemberData(nameof(TrainerImages))]
    public void Trainer_runtime_images_have_the_libraries_the_shim_links(string image)
    {
        var make = Load();
        var file = Dockerfile.Load($"deploy/{image}/Dockerfile");
        var runtime = file.Final.AptPackages();
        // The image codecs by their -dev names (which pull the run-time libraries in).
        foreach (var library in make.AptPackages.Where(p => p.EndsWith("-dev") && p != "libtorch-dev"))
            Assert.Contains(library, runtime);
        if (Trainers[image].CudaTorch)
            Assert.Contains(file.Final.Lines, l => l.Instruction == "COPY" && l.Arguments == "--from=native /opt/torch /opt/torch");
        else
            Assert.Contains("libtorch1.13", runtime); // what Debian's libtorch-dev depends on
    }

    /// <summary>Trainers draw the run plots (results.png, curves); without a font their text is blank.</summary>
    [Theory, MemberData(nameof(TrainerImages))]
    public void Trainer_runtime_images_have_the_fonts_the_plots_use(string image)
    {
        var make = Load();
        Assert.NotEmpty(make.FontPackages);
        var runtime = Dockerfile.Load($"deploy/{image}/Dockerfile").Final.AptPackages();
        foreach (var font in make.FontPackages) Assert.Contains(font, runtime);
    }

    /// <summary>A trainer host starts each trial as `yolosweep-worker` beside the CLI: the images publish the CLI
    /// project, which must bring the worker along, and run the CLI's own executable (there is no `dotnet` in a
    /// self-contained image, so the host must start the worker's executable, not `dotnet yolosweep-worker.dll`).</summary>
    [Theory, MemberData(nameof(TrainerImages))]
    public void Trainer_images_carry_the_worker_the_host_starts(string image)
    {
        var file = Dockerfile.Load($"deploy/{image}/Dockerfile");
        Assert.Contains(file.Stages.SelectMany(s => s.Commands("dotnet")), c => c.Contains("publish") && c.Contains("src/Client/YoloSweep.Client.csproj") && c.Contains("--self-contained"));
        Assert.Contains("../Worker/YoloSweep.Worker.csproj", Repo.Read("src/Client/YoloSweep.Client.csproj"));
        Assert.Contains("\"/app/yolosweep\"", file.Final.Last("ENTRYPOINT"));
        var agent = Repo.Read("src/Agent/TrainerHostOptions.cs");
        Assert.Contains("\"yolosweep-worker\"", agent);
    }

    /// <summary>
    /// The web dashboard's charting library is embedded in the Silo assembly at build time from build/web (not in the
    /// build context): each image fetches, in a stage of its own, the version the Silo project pins, into the folder
    /// that project reads, and copies it into the stage that publishes (whose build then checks its SHA-256).
    /// </summary>
    [Theory]
    [InlineData("silo"), InlineData("trainer-cpu"), InlineData("trainer-cuda")]
    public void Every_image_brings_the_pinned_ECharts_to_its_managed_build(string image)
    {
        var csproj = Repo.Read("src/Silo/YoloSweep.Silo.csproj");
        var version = System.Text.RegularExpressions.Regex.Match(csproj, "<EChartsVersion>([^<]+)</EChartsVersion>").Groups[1].Value;
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        Assert.Contains("<EChartsPrefix>$(RepoRoot)build/web/echarts-$(EChartsVersion)</EChartsPrefix>", csproj);
        Assert.Matches("<EChartsSha256>[0-9a-f]{64}</EChartsSha256>", csproj);

        var file = Dockerfile.Load($"deploy/{image}/Dockerfile");
        var web = file.Named("web");
        var npm = Assert.Single(web.Commands("npm"));
        Assert.Equal("install", npm[1]);
        Assert.Contains($"echarts@{version}", npm);
        Assert.Equal($"build/web/echarts-{version}", npm[npm.IndexOf("--prefix") + 1]);
        Assert.Equal("/src", web.Last("WORKDIR"));
        var managed = file.Stages.Single(s => s.Commands("dotnet").Any(c => c.Contains("publish")));
        Assert.Equal("/src", managed.Last("WORKDIR"));
        Assert.Contains(managed.Lines, l => l.Instruction == "COPY" && l.Arguments == "--from=web /src/build/web/ build/web/");
    }
}
