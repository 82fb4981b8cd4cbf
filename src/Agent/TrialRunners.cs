using System.Diagnostics;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Agent;

/// <summary>How a run of a trial ended.</summary>
public sealed record TrialRunResult(TrialMetrics? Metrics, string? Error, bool Retryable, int StartEpoch)
{
    public bool Succeeded => Metrics is not null;
}

/// <summary>What the host hears while a trial runs.</summary>
public interface ITrialListener
{
    void Started(int startEpoch);
    void Epoch(EpochReport epoch);
}

/// <summary>Runs one trial for the host; cancelling <c>ct</c> stops it at once.</summary>
public interface ITrialRunner
{
    Task<TrialRunResult> RunAsync(TrialSpec spec, string workDir, bool resume, IReadOnlyList<string> devices, ITrialListener listener, CancellationToken ct);
}

/// <summary>
/// The production runner: `yolosweep-worker` in a child process, so a crash, a native fault or leaked GPU memory end
/// with the child. The child's stdin stays open; when this host dies, it closes and the child stops itself. The
/// child's stderr (its log) goes to trial-*.log in the trial's folder.
/// </summary>
public sealed class ChildProcessTrialRunner(IReadOnlyList<string> command, string sharedDir, Serilog.ILogger log) : ITrialRunner
{
    public async Task<TrialRunResult> RunAsync(TrialSpec spec, string workDir, bool resume, IReadOnlyList<string> devices, ITrialListener listener, CancellationToken ct)
    {
        Directory.CreateDirectory(workDir);
        var specPath = Path.Combine(workDir, "trial.json");
        await File.WriteAllTextAsync(specPath, System.Text.Json.JsonSerializer.Serialize(spec, Json.Indented), ct);
        File.Delete(Path.Combine(workDir, TrialProcessProtocol.MetricsFile));

        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var a in new[] { "--spec", specPath, "--workdir", workDir, "--exit-with-stdin" }) psi.ArgumentList.Add(a);
        if (resume) psi.ArgumentList.Add("--resume");
        var gpus = devices.Where(Devices.IsGpu).Select(d => d["cuda:".Length..]).ToList();
        psi.Environment["CUDA_VISIBLE_DEVICES"] = gpus.Count > 0 ? string.Join(",", gpus) : "";
        // Relative dataset paths in a sweep are resolved against the shared folder (the same on every host).
        psi.Environment["YOLOSWEEP_SHARED_DIR"] = Path.GetFullPath(sharedDir);
        psi.Environment["YOLOSWEEP_DEVICES"] = gpus.Count > 0 ? string.Join(",", Enumerable.Range(0, gpus.Count)) : "cpu";

        using var process = new Process { StartInfo = psi };
        process.Start();
        var logPath = Path.Combine(workDir, $"trial-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{process.Id}.log");
        TrialMetrics? metrics = null;
        string? error = null;
        var startEpoch = 1;
        var stderrTail = new Queue<string>();

        var readOut = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                TrialProcessEvent? e;
                try { e = Json.Deserialize<TrialProcessEvent>(line); }
                catch (System.Text.Json.JsonException) { continue; } // stray output is not part of the protocol
                switch (e?.Event)
                {
                    case "started": startEpoch = e.StartEpoch ?? 1; listener.Started(startEpoch); break;
                    case "epoch" when e.Epoch is not null: listener.Epoch(e.Epoch); break;
                    case "finished": metrics = e.Metrics; break;
                    case "error": error = e.Message; break;
                }
            }
        }, CancellationToken.None);
        var readErr = Task.Run(async () =>
        {
            await using var file = new StreamWriter(logPath, append: true);
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                await file.WriteLineAsync(line);
                stderrTail.Enqueue(line);
                if (stderrTail.Count > 20) stderrTail.Dequeue();
            }
        }, CancellationToken.None);

        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            await Task.WhenAll(readOut, readErr);
            throw;
        }
        await Task.WhenAll(readOut, readErr);

        var code = process.ExitCode;
        if (code == 0 && metrics is null && File.Exists(Path.Combine(workDir, TrialProcessProtocol.MetricsFile)))
            metrics = Json.Deserialize<TrialMetrics>(await File.ReadAllTextAsync(Path.Combine(workDir, TrialProcessProtocol.MetricsFile), CancellationToken.None));
        if (code == 0 && metrics is not null) return new TrialRunResult(metrics, null, false, startEpoch);
        var reason = error ?? (stderrTail.Count > 0 ? string.Join(" | ", stderrTail.TakeLast(3)) : "no output");
        log.Warning("Trial child exited with code {Code}: {Reason} (log {Log})", code, reason, logPath);
        return new TrialRunResult(null, $"trial process exited with code {code}: {reason}", Retryable: code != TrialProcessProtocol.ExitBadSpec, startEpoch);
    }
}
