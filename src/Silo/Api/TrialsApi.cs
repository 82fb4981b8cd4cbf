using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Leaderboards;
using YoloSweep.Grains.Leaderboards;
using YoloSweep.Grains.Queries;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Silo.Api;

/// <summary>
/// /api/v1/trials (with each trial's epochs, events, spec, artefacts and log), /api/v1/hosts, /api/v1/leaderboard and
/// /api/v1/knob-effects: read-only views for clients (and trainers), from the read model alone, so
/// `yolosweep dashboard` serves them too.
/// </summary>
public static class TrialsApi
{
    public static void Map(RouteGroupBuilder read)
    {
        read.MapGet("/trials", async (string? sweep, string? state, int? limit, ReadModel store, CancellationToken ct) =>
        {
            TrialState? s = null;
            if (state is not null)
            {
                if (!Enum.TryParse<TrialState>(state, ignoreCase: true, out var parsed))
                    return Http.Error(400, $"unknown state '{state}'; use one of {string.Join(", ", Enum.GetValues<TrialState>().Select(x => x.ToDb()))}");
                s = parsed;
            }
            if (limit is < 1 or > 100_000) return Http.Error(400, "limit must be in 1..100000");
            var trials = await store.ListTrialsAsync(new TrialQuery(sweep, s, limit ?? 10_000), ct);
            return Http.Ok(trials.Select(t => t.ToView()).ToList());
        });

        read.MapGet("/trials/{id}", async (string id, ReadModel store, CancellationToken ct) =>
            await store.GetTrialAsync(id, ct) is { } t ? Http.Ok(t.ToView()) : Http.Error(404, $"no trial '{id}'"));

        read.MapGet("/trials/{id}/metrics", async (string id, ReadModel store, CancellationToken ct) =>
            await store.GetTrialAsync(id, ct) is null ? Http.Error(404, $"no trial '{id}'") : Http.Ok(await store.GetEpochsAsync(id, ct)));

        read.MapGet("/trials/{id}/events", async (string id, ReadModel store, CancellationToken ct) =>
            await store.GetTrialAsync(id, ct) is null ? Http.Error(404, $"no trial '{id}'") : Http.Ok(await store.GetEventsAsync(id, ct)));

        read.MapGet("/trials/{id}/spec", async (string id, ReadModel store, CancellationToken ct) =>
            await store.GetTrialAsync(id, ct) is { } t ? Http.Ok(t.Spec) : Http.Error(404, $"no trial '{id}'"));

        // The trial's folder in the shared folder: its images and text files (PR curve, results.png, metrics.json, logs).
        read.MapGet("/trials/{id}/artifacts", async (string id, ReadModel store, TrialFiles files, CancellationToken ct) =>
            await store.GetTrialAsync(id, ct) is { } t ? Http.Ok(files.List(t)) : Http.Error(404, $"no trial '{id}'"));

        read.MapGet("/trials/{id}/artifacts/{**name}", async (string id, string name, ReadModel store, TrialFiles files, CancellationToken ct) =>
        {
            if (await store.GetTrialAsync(id, ct) is not { } t) return Http.Error(404, $"no trial '{id}'");
            return files.Open(t, name) is { } f
                ? Results.File(f.Path, f.ContentType, enableRangeProcessing: false)
                : Http.Error(404, $"trial '{id}' has no file '{name}' (GET /api/v1/trials/{id}/artifacts lists them)");
        });

        read.MapGet("/trials/{id}/log", async (string id, int? tail, ReadModel store, TrialFiles files, CancellationToken ct) =>
        {
            if (tail is < 1 or > 10_000) return Http.Error(400, "tail must be in 1..10000");
            if (await store.GetTrialAsync(id, ct) is not { } t) return Http.Error(404, $"no trial '{id}'");
            return files.Tail(t, tail ?? 200) is { } log ? Http.Ok(log) : Http.Error(404, $"trial '{id}' has no log (yet)");
        });

        read.MapGet("/hosts", async (ReadModel store, CancellationToken ct) =>
            Http.Ok((await store.ListHostsAsync(ct)).Select(h => h.ToView()).ToList()));

        read.MapGet("/leaderboard", async (HttpRequest req, ReadModel store, CancellationToken ct) =>
        {
            var q = req.Query;
            int? top = null;
            if (q["top"].ToString() is { Length: > 0 } topText)
            {
                if (!int.TryParse(topText, out var t) || t < 1) return Http.Error(400, "top must be a positive integer");
                top = t;
            }
            var query = new LeaderboardQuery
            {
                Sweep = Nonempty(q["sweep"]),
                GroupBy = (Nonempty(q["group_by"]) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Sort = Nonempty(q["sort"]) ?? "map50_95",
                Ascending = q["asc"] == "true",
                Model = Nonempty(q["model"]),
                Scale = Nonempty(q["scale"]),
                Top = top,
            };
            try
            {
                var rows = await Leaderboard.ReadAsync(store, query, ct);
                // Only an empty answer needs the existence check.
                if (rows.Count == 0 && query.Sweep is not null && await store.GetSweepAsync(query.Sweep, ct) is null)
                    return Http.Error(404, $"no sweep named '{query.Sweep}'");
                return Http.Ok(rows);
            }
            catch (ArgumentException e)
            {
                return Http.Error(400, e.Message);
            }
        });

        read.MapGet("/knob-effects", async (string? sweep, ReadModel store, CancellationToken ct) =>
        {
            var results = await store.ListResultsAsync(sweep, ct);
            if (results.Count == 0 && sweep is not null && await store.GetSweepAsync(sweep, ct) is null)
                return Http.Error(404, $"no sweep named '{sweep}'");
            return Http.Ok(KnobEffects.Build(results));
        });
    }

    static string? Nonempty(Microsoft.Extensions.Primitives.StringValues v) => v.ToString() is { Length: > 0 } s ? s : null;
}
