using Microsoft.Extensions.Logging;
using Orleans.Storage;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Hosts;
using YoloSweep.Grains.Scheduling;
using YoloSweep.Grains.Storage;

namespace YoloSweep.Grains.Trials;

/// <summary>
/// The single writer of one trial's state machine. Every transition is written (with its audit row, and its epoch
/// row) before it is acknowledged; a write that loses an ETag race means another activation exists, so this one
/// deactivates and the caller retries against the survivor. Heartbeats are not transitions: they extend the lease in
/// memory only, which is safe because a reactivated trial gives its holder one lease period of grace. The lease runs
/// out on a grain timer while the grain is active, with a reminder as the durable backstop when it is not.
/// Grains this one tells about its changes (the scheduler, the host) are told one-way: it never awaits a grain that
/// could call back into it.
/// </summary>
public sealed class TrialGrain(
    [PersistentState("trial", SqlGrainStorage.Name)] IPersistentState<TrialRecord> state,
    ClusterSettings cluster, OrchestratorClock clock, ILogger<TrialGrain> log) : Grain, ITrialGrain, IRemindable
{
    const string ReminderName = "lease-watch";
    static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(2);
    static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(1);

    DateTimeOffset _expires;
    IGrainTimer? _timer;
    Task _reminderOps = Task.CompletedTask;

    TrialRecord T => state.State;
    DateTimeOffset Now => clock.Now;
    TimeSpan Lease => cluster.LeaseDuration;

    public override async Task OnActivateAsync(CancellationToken ct)
    {
        if (!state.RecordExists) return;
        if (T.State.IsLeased())
        {
            // Whoever holds the lease gets one full period from now: this silo cannot know when it last renewed.
            _expires = Now + Lease;
            ArmTimer();
        }
        if (T.SweepCancelled && !T.State.IsFinal()) await Cancel(); // the sweep was cancelled while this trial slept
    }

    public async Task<LeaseGrant?> TryLease(string hostId)
    {
        if (!state.RecordExists || T.State != TrialState.Pending || T.SweepCancelled || T.NotBefore > Now) return null;
        var (token, attempt) = (T.Token + 1, T.Attempt + 1);
        var expires = Now + Lease;
        await Commit(T with
        {
            State = TrialState.Leased, Attempt = attempt, Token = token, HostId = hostId, LeaseExpiresAt = expires, StartEpoch = null,
            NewEvents = [Event("leased", token, hostId, $"attempt {attempt}")],
        });
        _expires = expires;
        ArmTimer();
        WatchWithReminder(true);
        return new LeaseGrant(T.Id, token, attempt, Resume: token > 1, expires, T.Spec);
    }

    public Task<ReportStatus> Renew(long token)
    {
        if (Refuse(token) is { } refused) return Task.FromResult(refused);
        // An expired lease the timer has not collected yet can still be renewed: nobody else owns the trial.
        _expires = Now + Lease;
        return Task.FromResult(ReportStatus.Accepted);
    }

    public async Task<ReportStatus> Start(long token, int startEpoch)
    {
        if (Refuse(token) is { } refused) return refused;
        await Commit(T with
        {
            State = TrialState.Running, StartEpoch = startEpoch, LeaseExpiresAt = Now + Lease,
            NewEvents = [Event("started", token, T.HostId, $"from epoch {startEpoch}")],
        });
        _expires = Now + Lease;
        return ReportStatus.Accepted;
    }

    public async Task<ReportStatus> ReportEpoch(long token, EpochReport epoch)
    {
        if (Refuse(token) is { } refused) return refused;
        // An epoch sent again after a resume must not move the progress back.
        await Commit(T with { State = TrialState.Running, EpochsDone = Math.Max(T.EpochsDone, epoch.Epoch), LeaseExpiresAt = Now + Lease, NewEpochs = [epoch] });
        _expires = Now + Lease;
        return ReportStatus.Accepted;
    }

    public async Task<ReportStatus> Complete(long token, TrialMetrics metrics, string? artifacts)
    {
        if (state.RecordExists && T.State == TrialState.Succeeded && T.Token == token) return ReportStatus.Accepted; // a retried report
        if (Refuse(token) is { } refused) return refused;
        await Commit(T with
        {
            State = TrialState.Succeeded, Metrics = metrics, Artifacts = artifacts, Error = null, LeaseExpiresAt = null, FinishedAt = Now,
            NewEvents = [Event("succeeded", token, T.HostId, $"map50_95 {metrics.Map50_95:0.####}")],
        });
        EndLease();
        return ReportStatus.Accepted;
    }

    public async Task<ReportStatus> Fail(long token, string reason, bool retryable)
    {
        if (state.RecordExists && T.State == TrialState.Failed && T.Token == token) return ReportStatus.Accepted; // a retried report
        if (Refuse(token) is { } refused) return refused;
        await GiveBack(Truncate(reason), retryable);
        return ReportStatus.Accepted;
    }

    public async Task<ReportStatus> Release(long token, string reason)
    {
        if (Refuse(token) is { } refused) return refused;
        reason = Truncate(reason);
        await Commit(T with
        {
            State = TrialState.Pending, Attempt = T.Attempt - 1, Error = reason, HostId = null, LeaseExpiresAt = null, NotBefore = Now,
            NewEvents = [Event("released", token, T.HostId, reason)],
        });
        EndLease();
        return ReportStatus.Accepted;
    }

    public async Task<bool> Cancel()
    {
        if (!state.RecordExists || T.State.IsFinal()) return false;
        await Commit(T with
        {
            State = TrialState.Cancelled, SweepCancelled = true, LeaseExpiresAt = null, FinishedAt = Now,
            NewEvents = [Event("cancelled", T.Token, T.HostId, "sweep cancelled")],
        });
        EndLease();
        return true;
    }

    public async Task<bool> ExpireIfDue()
    {
        if (!state.RecordExists || !T.State.IsLeased()) return false;
        if (Now <= _expires)
        {
            ArmTimer();
            return false;
        }
        log.LogWarning("Trial {Trial}: lease of host {Host} expired", T.Id, T.HostId);
        await GiveBack($"lease expired: host {T.HostId} stopped sending heartbeats", retryable: true);
        return true;
    }

    public Task Wake() => Task.CompletedTask;

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (!await ExpireIfDue() && !(state.RecordExists && T.State.IsLeased())) WatchWithReminder(false);
    }

    /// <summary>Why a report with this token must be refused, or null when it comes from the current lease.</summary>
    ReportStatus? Refuse(long token) =>
        !state.RecordExists ? ReportStatus.NotFound
        : T.Token != token ? ReportStatus.Stale
        : T.State == TrialState.Cancelled ? ReportStatus.Cancelled
        : !T.State.IsLeased() ? ReportStatus.Stale
        : null;

    /// <summary>Ends the current lease: pending again after an exponential backoff, or failed when attempts are used up.</summary>
    async Task GiveBack(string reason, bool retryable)
    {
        var final = !retryable || T.Attempt >= T.MaxAttempts;
        var backoff = TimeSpan.FromMilliseconds(Math.Min(T.Backoff.TotalMilliseconds * Math.Pow(2, Math.Max(0, T.Attempt - 1)), MaxBackoff.TotalMilliseconds));
        var detail = $"attempt {T.Attempt}/{T.MaxAttempts}: {reason}";
        await Commit(final
            ? T with { State = TrialState.Failed, Error = reason, LeaseExpiresAt = null, FinishedAt = Now, NewEvents = [Event("failed", T.Token, T.HostId, detail)] }
            : T with { State = TrialState.Pending, Error = reason, HostId = null, LeaseExpiresAt = null, NotBefore = Now + backoff, NewEvents = [Event("retry", T.Token, T.HostId, detail)] });
        EndLease();
    }

    /// <summary>Writes the next state, then makes it current and tells the scheduler and the host (one-way).</summary>
    async Task Commit(TrialRecord next)
    {
        var before = T;
        state.State = next with { UpdatedAt = Now };
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException)
        {
            state.State = before;
            DeactivateOnIdle(); // another activation wrote first; the caller retries and reaches it
            throw;
        }
        catch
        {
            state.State = before;
            throw;
        }
        state.State = T with { NewEpochs = [], NewEvents = [] };
        GrainFactory.GetGrain<ISchedulerGrain>(0).TrialChanged(new TrialSlot(T.Id, T.Sweep, T.Ordinal, T.Spec.Gpus, T.State, T.NotBefore)).Ignore();
        if (before.State.IsLeased() && !T.State.IsLeased() && before.HostId is { } host)
            GrainFactory.GetGrain<ITrainerHostGrain>(host).LeaseEnded(T.Id).Ignore();
    }

    void EndLease()
    {
        _timer?.Dispose();
        _timer = null;
        WatchWithReminder(false);
    }

    void ArmTimer()
    {
        var due = _expires - Now;
        due = (due < TimeSpan.Zero ? TimeSpan.Zero : due) + TimeSpan.FromMilliseconds(50);
        if (_timer is null) _timer = this.RegisterGrainTimer(_ => ExpireIfDue(), due, Timeout.InfiniteTimeSpan);
        else _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// The reminder wakes this trial if its silo dies while the lease is held; it is not needed otherwise. Registering
    /// it is a write to the reminder table and waits for the cluster's reminder service, so it runs after the reply, in
    /// order with the trial's other reminder changes: a transition never waits for it. A reminder that outlives its
    /// lease removes itself when it fires.
    /// </summary>
    void WatchWithReminder(bool on)
    {
        _reminderOps = _reminderOps.ContinueWith(async _ =>
        {
            try
            {
                if (on) await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
                else if (await this.GetReminder(ReminderName) is { } r) await this.UnregisterReminder(r);
            }
            catch (Exception e)
            {
                // The transition is written already and the timer watches the lease: log and go on.
                log.LogWarning("Trial {Trial}: cannot {What} its lease reminder: {Error}", T.Id, on ? "register" : "remove", e.Message);
            }
        }, TaskScheduler.Current).Unwrap();
    }

    TrialEventRow Event(string kind, long token, string? host, string? detail) => new(Now, kind, token, host, detail);

    static string Truncate(string s) => s.Length > 4000 ? s[..4000] : s;
}
