using System.Reflection;
using System.Security.Cryptography;

namespace YoloSweep.Silo.Web;

/// <summary>
/// The web dashboard's files (src/Silo/Web/*.html, *.js, *.css and ECharts' echarts.min.js), embedded in this
/// assembly at build time and served from memory: <c>/</c> (the sweep dashboard), <c>/trial.html?id=…</c> (one trial)
/// and <c>/assets/…</c>. The pages read the JSON API (/api/v1) with the client token; the files themselves are public.
/// </summary>
public static class WebAssets
{
    sealed record Asset(byte[] Bytes, string ContentType, string ETag);

    static readonly Lazy<IReadOnlyDictionary<string, Asset>> Assets = new(Load);

    /// <summary>The embedded file names (index.html, dashboard.js, echarts.min.js, …).</summary>
    public static IEnumerable<string> Names => Assets.Value.Keys;

    static IReadOnlyDictionary<string, Asset> Load()
    {
        var assembly = typeof(WebAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("web/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            var name = resource["web/".Length..];
            var type = Path.GetExtension(name) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                _ => "application/octet-stream",
            };
            assets[name] = new Asset(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }
        if (!assets.ContainsKey("echarts.min.js") || !assets.ContainsKey("index.html"))
            throw new InvalidOperationException("the web dashboard's files are not embedded in YoloSweep.Silo.dll (a broken build)");
        return assets;
    }

    /// <summary>Maps the pages and their assets (no authentication: they hold no data).</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext h) => Serve(h, "index.html"));
        app.MapGet("/index.html", (HttpContext h) => Serve(h, "index.html"));
        app.MapGet("/trial.html", (HttpContext h) => Serve(h, "trial.html"));
        app.MapGet("/assets/{name}", (string name, HttpContext h) =>
            name.EndsWith(".html", StringComparison.Ordinal) ? Results.NotFound() : Serve(h, name));
    }

    static IResult Serve(HttpContext http, string name)
    {
        if (!Assets.Value.TryGetValue(name, out var asset)) return Api.Http.Error(404, $"no file '{name}'");
        // Revalidated on every load (cheap: a 304 for an unchanged ETag), so a new build's pages are never stale.
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers.ETag = asset.ETag;
        if (http.Request.Headers.IfNoneMatch.ToString() == asset.ETag) return Results.StatusCode(304);
        return Results.Bytes(asset.Bytes, asset.ContentType);
    }
}
