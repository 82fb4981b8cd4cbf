using YoloSweep.Contracts.Trials;

namespace YoloSweep.Worker;

/// <summary>What one run of a trial produced.</summary>
public sealed record TrialOutcome(TrialMetrics Metrics, int StartEpoch);

/// <summary>
/// The seam between orchestration and training: runs one trial in <c>workDir</c> (checkpoints live there, on the
/// shared volume), reporting each finished epoch. With <c>resume</c> it continues after the last checkpointed epoch.
/// Runs inside the `yolosweep-worker` process, so a crash here never takes the trainer host down.
/// The child's environment has YOLOSWEEP_SHARED_DIR (resolve a relative <c>spec.Data</c> against it) and
/// YOLOSWEEP_DEVICES ("cpu" or local GPU indices "0,1"; CUDA_VISIBLE_DEVICES is set to the leased GPUs).
/// </summary>
public interface ITrialExecutor
{
    /// <summary>The epoch a run will start at: 1 for a fresh run, last checkpointed epoch + 1 when resuming.</summary>
    int StartEpoch(TrialSpec spec, string workDir, bool resume);

    Task<TrialOutcome> RunAsync(TrialSpec spec, string workDir, bool resume, Action<EpochReport> onEpoch, CancellationToken ct);
}

/// <summary>A trial that cannot run as specified: retrying will not help (exit code 2 of the child).</summary>
public sealed class TrialSetupException(string message) : Exception(message);

/// <summary>Chooses the executor for a trial: `train.simulate` present → simulated, else real training.</summary>
public static class TrialExecutors
{
    public static ITrialExecutor For(TrialSpec spec) =>
        spec.Train.Simulate is not null ? new SimulatedTrialExecutor() : new TrainingTrialExecutor();
}
