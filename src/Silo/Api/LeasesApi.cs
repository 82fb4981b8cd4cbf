using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;
using YoloSweep.Grains;
using YoloSweep.Grains.Hosts;
using YoloSweep.Grains.Trials;

namespace YoloSweep.Silo.Api;

/// <summary>/api/v1/hosts and /api/v1/leases: what trainer hosts call (trainer token).</summary>
public static class LeasesApi
{
    public static void Map(RouteGroupBuilder trainer, SiloOptions options)
    {
        var max = options.MaxBodyBytes;

        trainer.MapPost("/hosts", async (HttpContext http, Orchestrator orchestrator, ILogger<HostRecord> log) =>
        {
            var (body, error) = await Http.ReadAsync<RegisterHostRequest>(http, max);
            if (error is not null) return error;
            if (string.IsNullOrWhiteSpace(body!.HostId) || body.HostId.Length > 200) return Http.Error(400, "'host_id' is required (at most 200 characters)");
            if (body.Devices is null || body.Devices.Count is 0 or > 1024) return Http.Error(400, "'devices' must list 1..1024 devices");
            for (var i = 0; i < body.Devices.Count; i++)
                if (body.Devices[i] is not { Name: null or { Length: <= 200 }, MemoryMb: >= 0 })
                    return Http.Error(400, $"'devices[{i}]' must be an object like {{\"name\": \"cuda:0\", \"memory_mb\": 81559}} " +
                                           "(a name of at most 200 characters, memory_mb not negative)");
            await orchestrator.RegisterHostAsync(body.HostId, body.Name ?? body.HostId,
                body.Devices.Select(d => new DeviceInfo(d.Name ?? "device", d.MemoryMb)).ToList());
            log.LogInformation("Host {Host} registered with {Devices} device(s)", body.HostId, body.Devices.Count);
            return Http.Ok(new RegisterHostResponse(body.HostId, orchestrator.LeaseDuration.TotalSeconds));
        });

        trainer.MapPost("/hosts/{id}/heartbeat", async (string id, Orchestrator orchestrator) =>
            await orchestrator.HeartbeatAsync(id) ? Results.NoContent() : Http.Error(404, $"host '{id}' is not registered"));

        trainer.MapPost("/leases", async (HttpContext http, Orchestrator orchestrator, ILogger<LeaseGrant> log) =>
        {
            var (body, error) = await Http.ReadAsync<AcquireRequest>(http, max);
            if (error is not null) return error;
            if (string.IsNullOrWhiteSpace(body!.HostId)) return Http.Error(400, "'host_id' is required");
            if (body.FreeDevices is < 0 or > 1024 || body.Max is < 0 or > 1024) return Http.Error(400, "'free_devices' and 'max' must be in 0..1024");
            try
            {
                var leases = await orchestrator.AcquireAsync(body.HostId, body.FreeDevices, body.Max);
                foreach (var l in leases)
                    log.LogInformation("Trial {Trial} leased to {Host} (attempt {Attempt}, token {Token})", l.TrialId, body.HostId, l.Attempt, l.FencingToken);
                return Http.Ok(new AcquireResponse(leases.Select(l => l.ToView(orchestrator.LeaseDuration)).ToList()));
            }
            catch (UnknownHostException e)
            {
                return Http.Error(404, e.Message + "; register it first (POST /api/v1/hosts)");
            }
        });

        trainer.MapPost("/leases/{trialId}/renew", async (string trialId, HttpContext http, Orchestrator orchestrator) =>
        {
            var (body, error) = await Http.ReadAsync<RenewRequest>(http, max);
            return error ?? Http.Report(await orchestrator.RenewAsync(trialId, body!.FencingToken));
        });

        trainer.MapPost("/leases/{trialId}/start", async (string trialId, HttpContext http, Orchestrator orchestrator) =>
        {
            var (body, error) = await Http.ReadAsync<StartRequest>(http, max);
            if (error is not null) return error;
            if (body!.StartEpoch < 1) return Http.Error(400, "'start_epoch' must be at least 1");
            return Http.Report(await orchestrator.StartAsync(trialId, body.FencingToken, body.StartEpoch));
        });

        trainer.MapPost("/leases/{trialId}/epoch", async (string trialId, HttpContext http, Orchestrator orchestrator) =>
        {
            var (body, error) = await Http.ReadAsync<EpochRequest>(http, max);
            if (error is not null) return error;
            if (body!.Epoch is null || body.Epoch.Epoch < 1) return Http.Error(400, "'epoch' with a positive epoch number is required");
            if (Reports.Check(body.Epoch) is { } bad) return Http.Error(400, bad);
            return Http.Report(await orchestrator.ReportEpochAsync(trialId, body.FencingToken, body.Epoch));
        });

        trainer.MapPost("/leases/{trialId}/complete", async (string trialId, HttpContext http, Orchestrator orchestrator, ILogger<LeaseGrant> log) =>
        {
            var (body, error) = await Http.ReadAsync<CompleteRequest>(http, max);
            if (error is not null) return error;
            if (body!.Metrics is null) return Http.Error(400, "'metrics' is required");
            if (body.Artifacts is { Length: > 1000 }) return Http.Error(400, "'artifacts' is at most 1000 characters");
            if (Reports.Check(body.Metrics) is { } bad) return Http.Error(400, bad);
            var status = await orchestrator.CompleteAsync(trialId, body.FencingToken, body.Metrics, body.Artifacts);
            if (status == ReportStatus.Accepted) log.LogInformation("Trial {Trial} succeeded: mAP50-95 {Map:0.0000}", trialId, body.Metrics.Map50_95);
            else log.LogWarning("Result for trial {Trial} with token {Token} refused: {Status}", trialId, body.FencingToken, status);
            return Http.Report(status);
        });

        trainer.MapPost("/leases/{trialId}/release", async (string trialId, HttpContext http, Orchestrator orchestrator, ILogger<LeaseGrant> log) =>
        {
            var (body, error) = await Http.ReadAsync<ReleaseRequest>(http, max);
            if (error is not null) return error;
            var status = await orchestrator.ReleaseAsync(trialId, body!.FencingToken, body.Reason ?? "released by its host");
            log.LogInformation("Trial {Trial} released by its host ({Status}): {Reason}", trialId, status, body.Reason);
            return Http.Report(status);
        });

        trainer.MapPost("/leases/{trialId}/fail", async (string trialId, HttpContext http, Orchestrator orchestrator, ILogger<LeaseGrant> log) =>
        {
            var (body, error) = await Http.ReadAsync<FailRequest>(http, max);
            if (error is not null) return error;
            var status = await orchestrator.FailAsync(trialId, body!.FencingToken, body.Reason ?? "no reason given", body.Retryable);
            log.LogWarning("Trial {Trial} attempt failed ({Status}): {Reason}", trialId, status, body.Reason);
            return Http.Report(status);
        });
    }
}
