using System.Reflection;

namespace YoloSweep.Trainer.Host;

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
    /// <summary>The command that runs `trial run` in a child process (the yolosweep CLI itself by default).</summary>
    public IReadOnlyList<string> TrialCommand { get; init; } = DefaultTrialCommand();

    public static TrainerHostOptions FromEnvironment(string? silo = null, string? token = null, string? devices = null, string? sharedDir = null) => new()
    {
        Silo = silo ?? Env("YOLOSWEEP_SILO") ?? "http://127.0.0.1:8080",
        Token = token ?? Env("YOLOSWEEP_TRAINER_TOKEN") ?? throw new ArgumentException("set YOLOSWEEP_TRAINER_TOKEN or --token (the Silo's trainer token)"),
        Devices = Host.Devices.Parse(devices ?? Env("YOLOSWEEP_DEVICES") ?? "cpu"),
        SharedDir = sharedDir ?? Env("YOLOSWEEP_SHARED_DIR") ?? "shared",
    };

    static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;

    /// <summary>dotnet yolosweep.dll (or the apphost) — found beside the running assembly.</summary>
    public static IReadOnlyList<string> DefaultTrialCommand()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "yolosweep.dll");
        var host = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileNameWithoutExtension(host) == "yolosweep") return [host];
        return [Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet", File.Exists(dll) ? dll : Assembly.GetEntryAssembly()!.Location];
    }
}

/// <summary>Device slots: "cpu" (one slot), "cpu:4" (four CPU slots), GPU indices "0,1,2,3" / "cuda:0,1", or
/// "all" (every CUDA device of this machine, one CPU slot when it has none).</summary>
public static class Devices
{
    /// <param name="cudaDeviceCount">how many CUDA devices there are, for "all" (default: asks libtorch).</param>
    public static IReadOnlyList<string> Parse(string text, Func<int>? cudaDeviceCount = null)
    {
        text = text.Trim();
        if (text == "cpu") return ["cpu"];
        if (text == "all")
        {
            var n = (cudaDeviceCount ?? YoloSweep.Torch.torch.cuda.device_count)();
            return n == 0 ? ["cpu"] : Enumerable.Range(0, n).Select(i => $"cuda:{i}").ToList();
        }
        if (text.StartsWith("cpu:", StringComparison.Ordinal))
        {
            if (!int.TryParse(text[4..], out var n) || n < 1 || n > 1024) throw new ArgumentException($"devices '{text}': expected cpu:N with N in 1..1024");
            return Enumerable.Range(0, n).Select(i => $"cpu{i}").ToList();
        }
        var list = text.StartsWith("cuda:", StringComparison.Ordinal) ? text[5..] : text;
        var ids = list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (ids.Length == 0 || ids.Any(i => !int.TryParse(i, out var v) || v < 0) || ids.Distinct().Count() != ids.Length)
            throw new ArgumentException($"devices '{text}': expected cpu, cpu:N, all, or distinct GPU indices like 0,1,2,3");
        return ids.Select(i => $"cuda:{i}").ToList();
    }

    public static bool IsGpu(string slot) => slot.StartsWith("cuda:", StringComparison.Ordinal);
}
