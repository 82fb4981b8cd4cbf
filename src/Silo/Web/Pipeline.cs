using YoloSweep.Grains;
using YoloSweep.Grains.Storage;
using YoloSweep.Silo.Api;

namespace YoloSweep.Silo.Web;

/// <summary>The middleware every YoloSweep web server runs first (the Silo and `yolosweep dashboard`).</summary>
public static class Pipeline
{
    /// <summary>
    /// Every answer, pages and API alike: no framing, no content sniffing, no referrer, scripts only from this origin's
    /// files (the dashboard has no inline script), images from here or the blob: URLs the trial page makes of the
    /// artefacts it fetched with the token. The Orleans dashboard (/dashboard, not ours) keeps its inline scripts.
    /// </summary>
    public static Task SecurityHeaders(HttpContext http, Func<Task> next)
    {
        var h = http.Response.Headers;
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        var scripts = http.Request.Path.StartsWithSegments("/dashboard") ? "'self' 'unsafe-inline'" : "'self'";
        h.ContentSecurityPolicy = $"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
                                  "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
        return next();
    }

    /// <summary>
    /// Failures become JSON answers instead of dropped connections: 503 while the database is down or the cluster is
    /// changing (the caller retries), 500 for anything else.
    /// </summary>
    public static async Task Guard(HttpContext http, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception e) when (!http.Response.HasStarted)
        {
            var log = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("YoloSweep.Silo.SiloApp");
            var (status, message) =
                e is StorageUnavailableException || Database.IsUnavailable(e) ? (503, "database unavailable, retry later")
                : Orchestrator.IsTransient(e) ? (503, "the cluster is changing (a silo joined or left), retry in a moment")
                : (500, "internal error: " + e.Message);
            if (status == 500) log.LogError(e, "{Method} {Path} failed", http.Request.Method, http.Request.Path);
            else log.LogWarning("{Method} {Path}: {Status} ({Error})", http.Request.Method, http.Request.Path, status, e.Message);
            await Http.Error(status, message).ExecuteAsync(http);
        }
    }
}
