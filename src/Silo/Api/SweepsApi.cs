using YoloSweep.Contracts.Api;
using YoloSweep.Grains;
using YoloSweep.Contracts.Sweeps;
using YoloSweep.Grains.Sweeps;
using YoloSweep.Grains.Queries;

namespace YoloSweep.Silo.Api;

/// <summary>/api/v1/sweeps: submit (client), list, show, per-epoch curves, cancel (client).</summary>
public static class SweepsApi
{
    /// <summary>A guard against a typo exploding a sweep into millions of rows.</summary>
    public const int MaxTrialsPerSweep = SweepLimits.MaxTrials;

    /// <summary>With no host registered the parser cannot check resources.gpus, and the trials would wait in silence.</summary>
    static string? NoHostWarning((string Name, int Devices)? largest, SweepSpec spec, int trials) => largest is null
        ? $"no trainer host is registered yet: the {trials} trial(s) stay pending until a host with at least {spec.Gpus} device(s) starts (yolosweep trainer --silo URL)"
        : null;

    /// <summary>The writes: submit and cancel (client token, grains).</summary>
    public static void Map(RouteGroupBuilder client, SiloOptions options)
    {
        client.MapPost("/sweeps", async (HttpContext http, Orchestrator orchestrator, ILogger<Sweep> log) =>
        {
            var contentType = http.Request.ContentType ?? "";
            string yaml, file;
            if (contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) || contentType.StartsWith("text/plain", StringComparison.OrdinalIgnoreCase))
            {
                var (text, error) = await Http.ReadTextAsync(http, options.MaxBodyBytes);
                if (error is not null) return error;
                (yaml, file) = (text!, "sweep.yaml");
            }
            else
            {
                var (body, error) = await Http.ReadAsync<SubmitSweepRequest>(http, options.MaxBodyBytes);
                if (error is not null) return error;
                if (string.IsNullOrWhiteSpace(body!.Yaml)) return Http.Error(400, "'yaml' (the sweep file's text) is required");
                (yaml, file) = (body.Yaml, Path.GetFileName(body.File ?? "sweep.yaml"));
            }

            var hosts = await orchestrator.Reads.ListHostsAsync(http.RequestAborted);
            var largest = hosts.MaxBy(h => h.Devices.Count) is { } big ? (big.Name, big.Devices.Count) : ((string, int)?)null;
            SweepSpec spec;
            try { spec = SweepSpecParser.Parse(yaml, file, new SubmitContext(options.SharedDir, largest)); }
            catch (SweepSpecException e) { return Http.Error(400, $"invalid sweep: {e.Errors.Count} error(s)", e.Errors); }
            var trials = SweepExpander.Expand(spec);
            if (trials.Count == 0) return Http.Error(400, "the sweep expands to no trials");
            if (trials.Count > MaxTrialsPerSweep) return Http.Error(400, $"the sweep expands to {trials.Count} trials (limit {MaxTrialsPerSweep})");

            var (outcome, total) = await orchestrator.SubmitSweepAsync(spec.Name, yaml, file);
            switch (outcome)
            {
                case SubmitOutcome.NameConflict:
                    return Http.Error(409, $"a different sweep named '{spec.Name}' already exists; rename this one or cancel that one");
                case SubmitOutcome.Created:
                    log.LogInformation("Sweep {Sweep} submitted: {Trials} trials", spec.Name, trials.Count);
                    return Http.Ok(new SubmitSweepResponse(spec.Name, "created", total, NoHostWarning(largest, spec, total)), 201);
                default:
                    return Http.Ok(new SubmitSweepResponse(spec.Name, "already_exists", total, NoHostWarning(largest, spec, total)));
            }
        });

        client.MapPost("/sweeps/{name}/cancel", async (string name, Orchestrator orchestrator, ILogger<Sweep> log, CancellationToken ct) =>
        {
            if (!await orchestrator.CancelSweepAsync(name)) return Http.Error(404, $"no sweep named '{name}'");
            log.LogInformation("Sweep {Sweep} cancelled", name);
            return Http.Ok((await orchestrator.Reads.GetSweepAsync(name, ct))!.ToView());
        });
    }

    /// <summary>The reads (the read model only, no grains): shared with `yolosweep dashboard` through <see cref="ReadApi"/>.</summary>
    public static void MapReads(RouteGroupBuilder read)
    {
        read.MapGet("/sweeps", async (ReadModel store, CancellationToken ct) =>
            Http.Ok((await store.ListSweepsAsync(ct)).Select(s => s.ToView()).ToList()));

        read.MapGet("/sweeps/{name}", async (string name, ReadModel store, CancellationToken ct) =>
            await store.GetSweepAsync(name, ct) is { } s ? Http.Ok(s.ToView(withSpec: true)) : Http.Error(404, $"no sweep named '{name}'"));

        // Per configuration (model, scale, knobs) and epoch: mean, min, max and std over its trials (failed and
        // cancelled ones left out) of mAP50-95, mAP50, fitness, lr and every loss, for the dashboard's curves.
        read.MapGet("/sweeps/{name}/curves", async (string name, ReadModel store, CancellationToken ct) =>
        {
            if (await store.GetSweepAsync(name, ct) is null) return Http.Error(404, $"no sweep named '{name}'");
            return Http.Ok(Curves.Aggregate(await store.ListSweepEpochsAsync(name, ct)));
        });
    }
}
