using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Sweeps;
using YoloSweep.Grains.Scheduling;
using YoloSweep.Grains.Storage;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Grains.Sweeps;

/// <summary>See <see cref="ISweepGrain"/>. Its counts by state are a query over its trials' rows, never a second copy.</summary>
public sealed class SweepGrain(
    [PersistentState("sweep", SqlGrainStorage.Name)] IPersistentState<SweepRecord> state,
    Database db, OrchestratorClock clock, ILogger<SweepGrain> log) : Grain, ISweepGrain
{
    public static string SpecHash(SweepSpec spec) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Json.Serialize(spec))));

    public override Task OnActivateAsync(CancellationToken ct)
    {
        // A cancel that did not reach every trial (its silo died half-way) is finished now.
        if (state.RecordExists && state.State.Cancelled) CancelTrialsAsync().ContinueWith(
            t => log.LogWarning("Sweep {Sweep}: finishing its cancel failed: {Error}", state.State.Name, t.Exception?.InnerException?.Message),
            TaskContinuationOptions.OnlyOnFaulted).Ignore();
        return Task.CompletedTask;
    }

    public async Task<SubmitResult> Submit(string yaml, string file)
    {
        var spec = SweepSpecParser.Parse(yaml, file);
        if (spec.Name != this.GetPrimaryKeyString()) throw new ArgumentException($"the sweep file names '{spec.Name}', not '{this.GetPrimaryKeyString()}'");
        var hash = SpecHash(spec);
        if (state.RecordExists)
            return new SubmitResult(state.State.SpecHash == hash ? SubmitOutcome.AlreadyExists : SubmitOutcome.NameConflict, state.State.Total);

        var trials = SweepExpander.Expand(spec);
        state.State = new SweepRecord
        {
            Name = spec.Name, SpecYaml = yaml, SpecHash = hash, Priority = spec.Priority, MaxAttempts = spec.MaxAttempts,
            Backoff = TimeSpan.FromSeconds(spec.BackoffSeconds), CreatedAt = clock.Now, Total = trials.Count, NewTrials = trials,
        };
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            // Another silo created it between our read and our insert: answer from what it wrote.
            await state.ReadStateAsync();
            return new SubmitResult(state.State.SpecHash == hash ? SubmitOutcome.AlreadyExists : SubmitOutcome.NameConflict, state.State.Total);
        }
        state.State = state.State with { NewTrials = [] };
        log.LogInformation("Sweep {Sweep} created with {Trials} trials", spec.Name, trials.Count);
        GrainFactory.GetGrain<ISchedulerGrain>(0).SweepChanged(spec.Name).Ignore();
        return new SubmitResult(SubmitOutcome.Created, trials.Count);
    }

    public async Task<bool> Cancel()
    {
        if (!state.RecordExists) return false;
        if (!state.State.Cancelled)
        {
            var before = state.State;
            state.State = before with { Cancelled = true };
            try { await state.WriteStateAsync(); }
            catch { state.State = before; throw; }
            GrainFactory.GetGrain<ISchedulerGrain>(0).SweepChanged(before.Name).Ignore();
            log.LogInformation("Sweep {Sweep} cancelled", before.Name);
        }
        await CancelTrialsAsync();
        return true;
    }

    /// <summary>Tells every trial not yet final, a batch at a time. Trial grains never call their sweep, so this cannot deadlock.</summary>
    async Task CancelTrialsAsync()
    {
        List<string> open;
        await using (var c = await db.OpenAsync())
            open = (await c.QueryAsync<string>("SELECT id FROM trials WHERE sweep = @name AND state IN ('pending','leased','running')",
                new { name = state.State.Name })).ToList();
        foreach (var batch in open.Chunk(256))
            await Task.WhenAll(batch.Select(id => GrainFactory.GetGrain<ITrialGrain>(id).Cancel()));
    }
}
