using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Agent;

/// <summary>
/// The Silo as a trainer host sees it: register, lease, report. <c>baseUrls</c> may name several silos of one cluster
/// ("http://a:8080,http://b:8080"): a call that cannot reach one, or that one answers 503 (stopping, not ready), goes
/// to the next, so a silo restarting does not cost the host its leases. (In Kubernetes the Service does this; list
/// one URL there.) Network errors that no silo survives surface as HttpRequestException.
/// </summary>
public sealed class SiloLeaseClient : IDisposable
{
    readonly HttpClient[] _silos;
    int _current;

    public SiloLeaseClient(string baseUrls, string token, HttpMessageHandler? handler = null)
    {
        var urls = baseUrls.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0) throw new ArgumentException("no Silo URL given");
        _silos = urls.Select(url =>
        {
            var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
            http.BaseAddress = new Uri(url.TrimEnd('/') + "/");
            http.Timeout = TimeSpan.FromSeconds(30);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return http;
        }).ToArray();
    }

    /// <summary>POSTs to the current silo, moving on to the next one while a silo cannot be reached or answers 503.</summary>
    async Task<HttpResponseMessage> PostAsync(string path, object? body, CancellationToken ct)
    {
        for (var tried = 1; ; tried++)
        {
            var index = Volatile.Read(ref _current);
            try
            {
                var r = body is null ? await _silos[index].PostAsync(path, null, ct) : await _silos[index].PostAsJsonAsync(path, body, Json.Options, ct);
                if (r.StatusCode != HttpStatusCode.ServiceUnavailable || tried >= _silos.Length) return r;
                r.Dispose();
            }
            catch (HttpRequestException e) when (e.StatusCode is null && tried < _silos.Length)
            {
            }
            Interlocked.CompareExchange(ref _current, (index + 1) % _silos.Length, index);
        }
    }

    public async Task<RegisterHostResponse> RegisterAsync(RegisterHostRequest request, CancellationToken ct) =>
        await Send<RegisterHostResponse>("api/v1/hosts", request, ct);

    /// <summary>Leases; throws <see cref="KeyNotFoundException"/> when the Silo does not know this host (register again).</summary>
    public async Task<IReadOnlyList<LeaseView>> AcquireAsync(string hostId, int freeDevices, int max, CancellationToken ct) =>
        (await Send<AcquireResponse>("api/v1/leases", new AcquireRequest(hostId, freeDevices, max), ct)).Leases;

    public Task<ReportStatus> RenewAsync(string trialId, long token, CancellationToken ct) => Report($"{trialId}/renew", new RenewRequest(token), ct);
    public Task<ReportStatus> StartAsync(string trialId, long token, int startEpoch, CancellationToken ct) => Report($"{trialId}/start", new StartRequest(token, startEpoch), ct);
    public Task<ReportStatus> EpochAsync(string trialId, long token, EpochReport epoch, CancellationToken ct) => Report($"{trialId}/epoch", new EpochRequest(token, epoch), ct);
    public Task<ReportStatus> CompleteAsync(string trialId, long token, TrialMetrics metrics, string? artifacts, CancellationToken ct) => Report($"{trialId}/complete", new CompleteRequest(token, metrics, artifacts), ct);
    public async Task HeartbeatAsync(string hostId, CancellationToken ct) { using var r = await PostAsync($"api/v1/hosts/{Uri.EscapeDataString(hostId)}/heartbeat", null, ct); }
    public Task<ReportStatus> ReleaseAsync(string trialId, long token, string reason, CancellationToken ct) => Report($"{trialId}/release", new ReleaseRequest(token, reason), ct);
    public Task<ReportStatus> FailAsync(string trialId, long token, string reason, bool retryable, CancellationToken ct) => Report($"{trialId}/fail", new FailRequest(token, reason, retryable), ct);

    async Task<ReportStatus> Report(string path, object body, CancellationToken ct)
    {
        using var r = await PostAsync("api/v1/leases/" + path, body, ct);
        if (r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            var answer = await r.Content.ReadFromJsonAsync<ReportResponse>(Json.Options, ct);
            return answer?.Status switch
            {
                "accepted" => ReportStatus.Accepted,
                "stale" => ReportStatus.Stale,
                "cancelled" => ReportStatus.Cancelled,
                "not_found" => ReportStatus.NotFound,
                _ => throw new HttpRequestException($"unexpected answer from the Silo: {(int)r.StatusCode}"),
            };
        }
        throw new HttpRequestException($"Silo answered {(int)r.StatusCode} to {path}: {await r.Content.ReadAsStringAsync(ct)}", null, r.StatusCode);
    }

    async Task<T> Send<T>(string path, object body, CancellationToken ct)
    {
        using var r = await PostAsync(path, body, ct);
        if (r.StatusCode == HttpStatusCode.NotFound && path == "api/v1/leases") throw new KeyNotFoundException("host not registered");
        if (!r.IsSuccessStatusCode)
            throw new HttpRequestException($"Silo answered {(int)r.StatusCode} to {path}: {await r.Content.ReadAsStringAsync(ct)}", null, r.StatusCode);
        return (await r.Content.ReadFromJsonAsync<T>(Json.Options, ct))!;
    }

    public void Dispose()
    {
        foreach (var s in _silos) s.Dispose();
    }
}
