using YoloSweep.Hosting;

namespace YoloSweep.Agent;

/// <summary>Settings of a trainer host; from the command line or YOLOSWEEP_SILO / _TRAINER_TOKEN / _DEVICES / _SHARED_DIR.</summary>
public sealed record TrainerHostOptions
{
    public required string Silo { get; init; }
    public required string Token { get; init; }
    /// <summary>The device slots this host offers (see <see cref="Devices.Parse"/>).</summary>
    public IReadOnlyList<string> Devices { get; init; } = ["cpu"];
    /// <summary>Datasets and checkpoints; shared by all hosts so a re-leased trial resumes anywhere.</summary>
    public string SharedDir { get; init; } = "shared";
    public string Name { get; init; } = Environment.MachineName;
    /// <summary>How often an idle host asks for work.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>The command that trains one trial in a child process: the worker beside this assembly by default.</summary>
    public IReadOnlyList<string> WorkerCommand { get; init; } = DefaultWorkerCommand();

    public static TrainerHostOptions FromEnvironment(string? silo = null, string? devices = null, string? sharedDir = null, string? tokenFile = null)
    {
        var token = tokenFile is not null ? Secrets.FromFile(tokenFile, "--token-file") : Secrets.Read("YOLOSWEEP_TRAINER_TOKEN");
        Secrets.Check("trainer token (YOLOSWEEP_TRAINER_TOKEN or --token-file: the Silo's trainer token)", token, m => new ArgumentException(m));
        return new TrainerHostOptions
        {
            Silo = silo ?? Env("YOLOSWEEP_SILO") ?? "http://127.0.0.1:8080",
            Token = token!,
            Devices = Agent.Devices.Parse(devices ?? Env("YOLOSWEEP_DEVICES") ?? "cpu"),
            SharedDir = sharedDir ?? Env("YOLOSWEEP_SHARED_DIR") ?? "shared",
        };
    }

    static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    /// <summary>yolosweep-worker (its apphost, or dotnet yolosweep-worker.dll) beside the running assembly.</summary>
    public static IReadOnlyList<string> DefaultWorkerCommand()
    {
        var dir = AppContext.BaseDirectory;
        var dll = Path.Combine(dir, "yolosweep-worker.dll");
        var host = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") return [host, dll];
        // A published (e.g. self-contained) CLI runs from its own executable, and an image may have no `dotnet` at
        // all: the worker's executable sits beside it.
        var exe = Path.Combine(dir, "yolosweep-worker");
        return File.Exists(exe) ? [exe] : ["dotnet", dll];
    }
}

/// <summary>Device slots: "cpu" (one slot), "cpu:4" (four CPU slots), GPU indices "0,1,2,3" / "cuda:0,1", or
/// "all" (every CUDA device of this machine, one CPU slot when it has none). GPU indices must exist on this machine.</summary>
public static class Devices
{
    /// <param name="cudaDeviceCount">how many CUDA devices there are (default: <see cref="CudaDeviceCount"/>).</param>
    public static IReadOnlyList<string> Parse(string text, Func<int>? cudaDeviceCount = null)
    {
        text = text.Trim();
        var count = cudaDeviceCount ?? CudaDeviceCount;
        if (text == "cpu") return ["cpu"];
        if (text == "all")
        {
            var n = count();
            return n == 0 ? ["cpu"] : Enumerable.Range(0, n).Select(i => $"cuda:{i}").ToList();
        }
        if (text.StartsWith("cpu:", StringComparison.Ordinal))
        {
            if (!int.TryParse(text[4..], out var n) || n < 1 || n > 1024) throw new ArgumentException($"devices '{text}': expected cpu:N with N in 1..1024");
            return Enumerable.Range(0, n).Select(i => $"cpu{i}").ToList();
        }
        var list = text.StartsWith("cuda:", StringComparison.Ordinal) ? text[5..] : text;
        var ids = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0 || ids.Any(i => !int.TryParse(i, out var v) || v < 0 || v > 1023) || ids.Distinct().Count() != ids.Length)
            throw new ArgumentException($"devices '{text}': expected cpu, cpu:N, all, or distinct GPU indices like 0,1,2,3");
        var available = count();
        if (ids.Select(int.Parse).Max() >= available)
            throw new ArgumentException(available == 0
                ? $"devices '{text}': this machine has no CUDA device; use --devices cpu (or cpu:N for N trials side by side)"
                : $"devices '{text}': this machine has {available} CUDA device(s), indices 0..{available - 1}");
        return ids.Select(i => $"cuda:{i}").ToList();
    }

    public static bool IsGpu(string slot) => slot.StartsWith("cuda:", StringComparison.Ordinal);

    /// <summary>
    /// CUDA devices this process may use, without loading libtorch: those CUDA_VISIBLE_DEVICES names, else one per GPU
    /// the NVIDIA driver lists under /proc/driver/nvidia/gpus; 0 without a driver.
    /// </summary>
    public static int CudaDeviceCount()
    {
        var driver = Directory.Exists("/proc/driver/nvidia/gpus") ? Directory.GetDirectories("/proc/driver/nvidia/gpus").Length : 0;
        if (Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") is { } visible)
            return Math.Min(driver, visible.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeWhile(v => v != "-1").Count());
        return driver;
    }
}
