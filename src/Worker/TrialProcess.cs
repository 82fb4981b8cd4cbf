using System.Text.Json.Nodes;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Worker;

/// <summary>
/// One trial in the worker process (`yolosweep-worker --spec trial.json --workdir DIR [--resume]`): runs it with the
/// chosen executor, prints <see cref="TrialProcessProtocol"/> JSON lines on stdout, writes DIR/metrics.json. Exit codes:
/// 0 done, 1 failed (worth a retry), 2 cannot run as specified (no retry), 3 the parent went away (stdin closed).
/// </summary>
public static class TrialProcess
{

    /// <summary>Writes the agreed <see cref="TrialMetrics"/> fields at the top level of DIR/metrics.json. The trial
    /// folder is also the training run folder, so the engine may already have written a richer metrics.json there
    /// (per_class, per_epoch): its other keys are kept and only the agreed fields are replaced.</summary>
    public static async Task WriteMetricsAsync(string workDir, TrialMetrics metrics, CancellationToken ct)
    {
        var path = Path.Combine(workDir, TrialProcessProtocol.MetricsFile);
        JsonObject doc;
        try { doc = File.Exists(path) ? JsonNode.Parse(await File.ReadAllTextAsync(path, ct)) as JsonObject ?? new JsonObject() : new JsonObject(); }
        catch (System.Text.Json.JsonException) { doc = new JsonObject(); }  // a torn file from a killed attempt: start over
        foreach (var (key, value) in System.Text.Json.JsonSerializer.SerializeToNode(metrics, Json.Options)!.AsObject().ToList())
            doc[key] = value?.DeepClone();
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, doc.ToJsonString(Json.Indented), ct);
        File.Move(tmp, path, overwrite: true);
    }

    public static async Task<int> RunAsync(string specPath, string workDir, bool resume, Func<TrialSpec, ITrialExecutor> executors,
        TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        void Emit(TrialProcessEvent e) { lock (stdout) { stdout.WriteLine(Json.Serialize(e)); stdout.Flush(); } }

        TrialSpec spec;
        ITrialExecutor executor;
        try
        {
            spec = Json.Deserialize<TrialSpec>(await File.ReadAllTextAsync(specPath, ct)) ?? throw new TrialSetupException($"{specPath} is empty");
            executor = executors(spec);
        }
        catch (Exception e) when (e is TrialSetupException or IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            Emit(new TrialProcessEvent { Event = "error", Message = e.Message });
            await stderr.WriteLineAsync($"error: {e.Message}");
            return TrialProcessProtocol.ExitBadSpec;
        }

        try
        {
            Directory.CreateDirectory(workDir);
            var start = executor.StartEpoch(spec, workDir, resume);
            Emit(new TrialProcessEvent { Event = "started", StartEpoch = start });
            var journal = new EpochJournal(workDir);
            // Epochs an earlier attempt reported are sent again: some may never have reached the Silo (its lease ran
            // out while the Silo was unreachable), and the Silo records each epoch once however often it hears it.
            foreach (var e in journal.Resume(start)) Emit(new TrialProcessEvent { Event = "epoch", Epoch = e });
            var outcome = await executor.RunAsync(spec, workDir, resume, e =>
            {
                journal.Append(e);
                Emit(new TrialProcessEvent { Event = "epoch", Epoch = e });
            }, ct);
            await WriteMetricsAsync(workDir, outcome.Metrics, ct);
            Emit(new TrialProcessEvent { Event = "finished", Metrics = outcome.Metrics, StartEpoch = outcome.StartEpoch });
            return TrialProcessProtocol.ExitDone;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return TrialProcessProtocol.ExitOrphaned;
        }
        catch (TrialSetupException e)
        {
            Emit(new TrialProcessEvent { Event = "error", Message = e.Message });
            return TrialProcessProtocol.ExitBadSpec;
        }
        catch (Exception e)
        {
            Emit(new TrialProcessEvent { Event = "error", Message = $"{e.GetType().Name}: {e.Message}" });
            await stderr.WriteLineAsync(e.ToString());
            return TrialProcessProtocol.ExitFailed;
        }
    }
}

/// <summary>
/// Every epoch a trial reported, in its folder (epochs.jsonl), so that a resumed attempt can report again what the
/// attempt before it trained. Entries at or after the epoch a run starts from are dropped: that run trains them anew.
/// </summary>
sealed class EpochJournal(string workDir)
{
    readonly string _path = Path.Combine(workDir, "epochs.jsonl");

    public IReadOnlyList<EpochReport> Resume(int startEpoch)
    {
        var kept = new List<EpochReport>();
        if (startEpoch > 1 && File.Exists(_path))
            foreach (var line in File.ReadLines(_path))
            {
                try
                {
                    if (Json.Deserialize<EpochReport>(line) is { } e && e.Epoch < startEpoch) kept.Add(e);
                }
                catch (System.Text.Json.JsonException) { } // a torn last line of a killed attempt
            }
        kept = kept.GroupBy(e => e.Epoch).Select(g => g.Last()).OrderBy(e => e.Epoch).ToList();
        File.WriteAllLines(_path, kept.Select(e => Json.Serialize(e)));
        return kept;
    }

    public void Append(EpochReport e) => File.AppendAllText(_path, Json.Serialize(e) + "\n");
}
