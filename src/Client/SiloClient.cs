using System.Net.Http.Headers;
using System.Net.Http.Json;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Leaderboards;

namespace YoloSweep.Client;

/// <summary>The Silo's client API as the CLI uses it; HTTP errors become <see cref="CliException"/> with the Silo's message.</summary>
public sealed class SiloClient : IDisposable
{
    readonly HttpClient _http;

    public SiloClient(string baseUrl, string token)
    {
        if (!Uri.TryCreate(baseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new CliException($"bad Silo URL '{baseUrl}': expected http://host:port");
        _http = new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Url = baseUrl;
    }

    public string Url { get; }

    public async Task<SubmitSweepResponse> SubmitAsync(string yaml, string file, CancellationToken ct) =>
        await Call<SubmitSweepResponse>(HttpMethod.Post, "api/v1/sweeps", new SubmitSweepRequest(yaml, file), ct);

    public Task<List<SweepView>> SweepsAsync(CancellationToken ct) => Call<List<SweepView>>(HttpMethod.Get, "api/v1/sweeps", null, ct);
    public Task<SweepView> SweepAsync(string name, CancellationToken ct) => Call<SweepView>(HttpMethod.Get, $"api/v1/sweeps/{Uri.EscapeDataString(name)}", null, ct);
    public Task<SweepView> CancelAsync(string name, CancellationToken ct) => Call<SweepView>(HttpMethod.Post, $"api/v1/sweeps/{Uri.EscapeDataString(name)}/cancel", null, ct);

    public Task<List<TrialView>> TrialsAsync(string? sweep, string? state, CancellationToken ct) =>
        Call<List<TrialView>>(HttpMethod.Get, "api/v1/trials?" + Query(("sweep", sweep), ("state", state)), null, ct);

    public Task<List<LeaderboardRow>> LeaderboardAsync(LeaderboardQuery q, CancellationToken ct) =>
        Call<List<LeaderboardRow>>(HttpMethod.Get, "api/v1/leaderboard?" + Query(("sweep", q.Sweep), ("group_by", q.GroupBy.Count > 0 ? string.Join(",", q.GroupBy) : null),
            ("sort", q.Sort), ("asc", q.Ascending ? "true" : null), ("model", q.Model), ("scale", q.Scale), ("top", q.Top?.ToString())), null, ct);

    public Task<List<KnobEffect>> KnobEffectsAsync(string? sweep, CancellationToken ct) =>
        Call<List<KnobEffect>>(HttpMethod.Get, "api/v1/knob-effects?" + Query(("sweep", sweep)), null, ct);

    static string Query(params (string Key, string? Value)[] items) =>
        string.Join("&", items.Where(i => i.Value is not null).Select(i => $"{i.Key}={Uri.EscapeDataString(i.Value!)}"));

    async Task<T> Call<T>(HttpMethod method, string path, object? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, options: Json.Options);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new CliException($"cannot reach the Silo at {Url}: {e.Message}");
        }
        using (response)
        {
            if (response.IsSuccessStatusCode) return (await response.Content.ReadFromJsonAsync<T>(Json.Options, ct))!;
            ErrorResponse? error = null;
            try { error = await response.Content.ReadFromJsonAsync<ErrorResponse>(Json.Options, ct); }
            catch (System.Text.Json.JsonException) { }
            var message = error?.Error ?? response.ReasonPhrase ?? "request failed";
            if (Cli.IsUnauthorized(response.StatusCode)) message = $"the Silo refused the token ({(int)response.StatusCode}): {message}";
            throw new CliException(message, error?.Details);
        }
    }

    public void Dispose() => _http.Dispose();
}
