using System.CommandLine;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains.Leaderboards;
using YoloSweep.Grains.Queries;
using YoloSweep.Grains.Storage;
using YoloSweep.Silo.Api;

namespace YoloSweep.Client;

/// <summary>
/// What the read commands (leaderboard, trials, sweeps, report) read: a Silo over HTTP, or a run's own database
/// without a Silo or a token. The same views either way: the local side goes through the Silo's own view code.
/// </summary>
public interface IRunReads : IAsyncDisposable
{
    /// <summary>Where the answers come from, for messages ("runs/demo/yolosweep.db", "http://…").</summary>
    string Source { get; }
    Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(LeaderboardQuery query, CancellationToken ct);
    Task<IReadOnlyList<KnobEffect>> KnobEffectsAsync(string? sweep, CancellationToken ct);
    Task<IReadOnlyList<TrialView>> TrialsAsync(string? sweep, string? state, CancellationToken ct);
    Task<IReadOnlyList<SweepView>> SweepsAsync(CancellationToken ct);
    Task<SweepView> SweepAsync(string name, CancellationToken ct);
}

public static class RunReads
{
    public static Option<string?> DbOption() => new("--db")
    {
        Description = "read a database directly (a run's yolosweep.db, or a PostgreSQL URL) instead of asking a Silo; " +
                      "default with --sweep NAME: runs/NAME/yolosweep.db when it exists and no Silo is named",
    };

    /// <summary>
    /// --db wins; otherwise, when no Silo was named (no --silo, no YOLOSWEEP_SILO) and runs/NAME/yolosweep.db exists,
    /// the run's own database; otherwise the Silo.
    /// </summary>
    public static async Task<IRunReads> OpenAsync(ParseResult p, Option<string?> db, Option<string> silo, Option<string?> token, string? sweep, CancellationToken ct)
    {
        if (LocalPath(p, db, silo, sweep) is { } path)
            return new LocalReads(path, await LocalDatabase.OpenAsync(path, ct));
        return new SiloReads(Cli.Connect(p, silo, token), p.GetValue(silo)!);
    }

    static string? LocalPath(ParseResult p, Option<string?> db, Option<string> silo, string? sweep)
    {
        if (p.GetValue(db) is { } explicitDb) return explicitDb;
        var siloNamed = p.GetResult(silo) is { Implicit: false } || Environment.GetEnvironmentVariable("YOLOSWEEP_SILO") is { Length: > 0 };
        if (siloNamed || sweep is null || !IsPlainName(sweep)) return null;
        var runDb = Path.Combine("runs", sweep, "yolosweep.db");
        return File.Exists(runDb) ? runDb : null;
    }

    // A sweep name never contains a path separator (the parser refuses it), so this only guards the lookup.
    static bool IsPlainName(string sweep) => sweep.Length > 0 && sweep.IndexOfAny(['/', '\\']) < 0 && sweep is not ("." or "..");

    sealed class SiloReads(SiloClient client, string url) : IRunReads
    {
        public string Source => url;
        public async Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(LeaderboardQuery query, CancellationToken ct) => await client.LeaderboardAsync(query, ct);
        public async Task<IReadOnlyList<KnobEffect>> KnobEffectsAsync(string? sweep, CancellationToken ct) => await client.KnobEffectsAsync(sweep, ct);
        public async Task<IReadOnlyList<TrialView>> TrialsAsync(string? sweep, string? state, CancellationToken ct) => await client.TrialsAsync(sweep, state, ct);
        public async Task<IReadOnlyList<SweepView>> SweepsAsync(CancellationToken ct) => await client.SweepsAsync(ct);
        public Task<SweepView> SweepAsync(string name, CancellationToken ct) => client.SweepAsync(name, ct);
        public ValueTask DisposeAsync() { client.Dispose(); return ValueTask.CompletedTask; }
    }

    sealed class LocalReads(string path, Database db) : IRunReads
    {
        readonly ReadModel store = new(db);
        public string Source => Database.Redact(path);

        public async Task<IReadOnlyList<LeaderboardRow>> LeaderboardAsync(LeaderboardQuery query, CancellationToken ct)
        {
            if (query.Sweep is not null) await SweepAsync(query.Sweep, ct); // a clear "no sweep" rather than an empty table
            try { return await Leaderboard.ReadAsync(store, query, ct); }
            catch (ArgumentException e) { throw new CliException(e.Message); }
        }

        public async Task<IReadOnlyList<KnobEffect>> KnobEffectsAsync(string? sweep, CancellationToken ct)
        {
            if (sweep is not null) await SweepAsync(sweep, ct);
            return KnobEffects.Build(await store.ListResultsAsync(sweep, ct));
        }

        public async Task<IReadOnlyList<TrialView>> TrialsAsync(string? sweep, string? state, CancellationToken ct)
        {
            TrialState? s = state is null ? null : Enum.Parse<TrialState>(state, ignoreCase: true);
            return (await store.ListTrialsAsync(new TrialQuery(sweep, s, 100_000), ct)).Select(t => t.ToView()).ToList();
        }

        public async Task<IReadOnlyList<SweepView>> SweepsAsync(CancellationToken ct) => (await store.ListSweepsAsync(ct)).Select(s => s.ToView()).ToList();

        public async Task<SweepView> SweepAsync(string name, CancellationToken ct) =>
            (await store.GetSweepAsync(name, ct))?.ToView(withSpec: true) ?? throw new CliException($"no sweep named '{name}' in {Source}");

        public ValueTask DisposeAsync() => db.DisposeAsync();
    }
}
