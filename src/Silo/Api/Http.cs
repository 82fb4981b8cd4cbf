using System.Text.Json;
using YoloSweep.Contracts;
using YoloSweep.Contracts.Api;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Silo.Api;

/// <summary>Reading request bodies with a size limit and clear 400s; writing JSON the project's way.</summary>
public static class Http
{
    public static JsonSerializerOptions JsonOptions => Json.Options;

    public static IResult Error(int status, string message, IReadOnlyList<string>? details = null) =>
        Results.Json(new ErrorResponse(message, details), JsonOptions, statusCode: status);

    public static IResult Ok<T>(T value, int status = 200) => Results.Json(value, JsonOptions, statusCode: status);

    /// <summary>The body as T, or a 400 explaining why not (too large, not JSON, wrong shape). Never throws on bad input.</summary>
    public static async Task<(T? Value, IResult? Error)> ReadAsync<T>(HttpContext http, long maxBytes) where T : class
    {
        var text = await ReadTextAsync(http, maxBytes);
        if (text.Error is not null) return (null, text.Error);
        try
        {
            var value = JsonSerializer.Deserialize<T>(text.Value!, JsonOptions);
            return value is null ? (null, Error(400, "request body must be a JSON object")) : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : "";
            // The field, as a JSON path ($.devices[0]): a value of the wrong type is named, not just located.
            if (e.Path is { Length: > 1 } path) where += $" ({path})";
            return (null, Error(400, $"malformed JSON body{where}: {FirstSentence(e.Message)}"));
        }
        catch (NotSupportedException e)
        {
            return (null, Error(400, $"malformed JSON body: {FirstSentence(e.Message)}"));
        }
    }

    public static async Task<(string? Value, IResult? Error)> ReadTextAsync(HttpContext http, long maxBytes)
    {
        if (http.Request.ContentLength is { } declared && declared > maxBytes)
            return (null, Error(400, $"request body too large: {declared} bytes (limit {maxBytes})"));
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > maxBytes) return (null, Error(400, $"request body too large (limit {maxBytes} bytes)"));
        }
        if (buffer.Length == 0) return (null, Error(400, "request body is empty"));
        return (System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length), null);
    }

    static string FirstSentence(string message) => message.Split(" Path:", 2)[0].Split(". ", 2)[0].TrimEnd('.');

    public static string ToWire(this ReportStatus s) => s switch
    {
        ReportStatus.Accepted => "accepted",
        ReportStatus.Stale => "stale",
        ReportStatus.Cancelled => "cancelled",
        _ => "not_found",
    };

    /// <summary>accepted 200; stale or cancelled 409 (the trainer must stop this attempt); unknown trial 404.</summary>
    public static IResult Report(ReportStatus s) =>
        Ok(new ReportResponse(s.ToWire()), s switch { ReportStatus.Accepted => 200, ReportStatus.NotFound => 404, _ => 409 });
}
