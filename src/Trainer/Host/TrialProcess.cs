using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Trainer.Host;

/// <summary>One line of the child's stdout protocol: started, epoch, finished or error.</summary>
public sealed record TrialEvent
{
    [JsonPropertyName("event")] public required string Event { get; init; }
    [JsonPropertyName("start_epoch")] public int? StartEpoch { get; init; }
    [JsonPropertyName("epoch")] public int? Epoch { get; init; }
    [JsonPropertyName("losses")] public SortedDictionary<string, double>? Losses { get; init; }
    [JsonPropertyName("map50")] public double? Map50 { get; init; }
    [JsonPropertyName("map50_95")] public double? Map50_95 { get; init; }
    [JsonPropertyName("fitness")] public double? Fitness { get; init; }
    [JsonPropertyName("lr")] public double? Lr { get; init; }
    [JsonPropertyName("metrics")] public TrialMetrics? Metrics { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }

    public EpochReport ToEpoch() => new()
    {
        Epoch = Epoch ?? 0, Losses = Losses ?? new(StringComparer.Ordinal), Map50 = Map50 ?? 0, Map50_95 = Map50_95 ?? 0,
        Fitness = Fitness ?? 0, Lr = Lr ?? 0,
    };

    public static TrialEvent FromEpoch(EpochReport e) => new()
    {
        Event = "epoch", Epoch = e.Epoch, Losses = e.Losses, Map50 = e.Map50, Map50_95 = e.Map50_95, Fitness = e.Fitness, Lr = e.Lr,
    };
}

/// <summary>
/// The child side of `yolosweep trial run --spec trial.json --workdir DIR [--resume]`: runs the trial with the
/// chosen executor, prints JSON lines on stdout, writes DIR/metrics.json. Exit codes: 0 done, 1 failed (worth a
/// retry), 2 cannot run as specified (no retry), 3 the parent went away (stdin closed).
/// </summary>
public static class TrialProcess
{
    public const string MetricsFile = "metrics.json";
    public const int ExitFailed = 1, ExitBadSpec = 2, ExitOrphaned = 3;

    /// <summary>Writes the agreed <see cref="TrialMetrics"/> fields at the top level of DIR/metrics.json. The trial
    /// folder is also the training run folder, so the engine may already have written a richer metrics.json there
    /// (per_class, per_epoch): its other keys are kept and only the agreed fields are replaced.</summary>
    public static async Task WriteMetricsAsync(string workDir, TrialMetrics metrics, CancellationToken ct)
    {
        var path = Path.Combine(workDir, MetricsFile);
        JsonObject doc;
        try { doc = File.Exists(path) ? JsonNode.Parse(await File.ReadAllTextAsync(path, ct)) as JsonObject ?? new JsonObject() : new JsonObject(); }
        catch (System.Text.Json.JsonException) { doc = new JsonObject(); }  // a torn file from a killed attempt: start over
        foreach (var (key, value) in System.Text.Json.JsonSerializer.SerializeToNode(metrics, Json.Options)!.AsObject().ToList())
            doc[key] = value?.DeepClone();
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, doc.ToJsonString(Json.Indented), ct);
        File.Move(tmp, path, overwrite: true);
    }

    public static async Task<int> RunAsync(string specPath, string workDir, bool resume, TrialExecutorFactory executors,
        TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        void Emit(TrialEvent e) { lock (stdout) { stdout.WriteLine(Json.Serialize(e)); stdout.Flush(); } }

        TrialSpec spec;
        ITrialExecutor executor;
        try
        {
            spec = Json.Deserialize<TrialSpec>(await File.ReadAllTextAsync(specPath, ct)) ?? throw new TrialSetupException($"{specPath} is empty");
            executor = executors.For(spec);
        }
        catch (Exception e) when (e is TrialSetupException or IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            Emit(new TrialEvent { Event = "error", Message = e.Message });
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitBadSpec;
        }

        try
        {
            Directory.CreateDirectory(workDir);
            Emit(new TrialEvent { Event = "started", StartEpoch = executor.StartEpoch(spec, workDir, resume) });
            var outcome = await executor.RunAsync(spec, workDir, resume, e => Emit(TrialEvent.FromEpoch(e)), ct);
            await WriteMetricsAsync(workDir, outcome.Metrics, ct);
            Emit(new TrialEvent { Event = "finished", Metrics = outcome.Metrics, StartEpoch = outcome.StartEpoch });
            return 0;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitOrphaned;
        }
        catch (TrialSetupException e)
        {
            Emit(new TrialEvent { Event = "error", Message = e.Message });
            return ExitBadSpec;
        }
        catch (Exception e)
        {
            Emit(new TrialEvent { Event = "error", Message = $"{e.GetType().Name}: {e.Message}" });
            await stderr.WriteLineAsync(e.ToString());
            return ExitFailed;
        }
    }
}
