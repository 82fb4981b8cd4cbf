using Npgsql;

namespace YoloSweep.Grains.Stores;

/// <summary>Opens the store a YOLOSWEEP_DB value names: a PostgreSQL URL or connection string, else a SQLite file path.</summary>
public static class SweepStores
{
    public static bool IsPostgres(string db) =>
        db.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        db.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
        db.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    public static async Task<ISweepStore> OpenAsync(string db, TimeProvider? clock = null, CancellationToken ct = default)
    {
        ISweepStore store = IsPostgres(db) ? new PostgresSweepStore(ToConnectionString(db), clock) : new SqliteSweepStore(db, clock);
        await store.InitializeAsync(ct);
        return store;
    }

    /// <summary>postgres://user:password@host:port/database?sslmode=disable → an Npgsql connection string.</summary>
    public static string ToConnectionString(string db)
    {
        if (!db.Contains("://")) return db;
        var uri = new Uri(db);
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = uri.AbsolutePath.Trim('/') is { Length: > 0 } d ? Uri.UnescapeDataString(d) : "postgres",
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length > 1) b.Password = Uri.UnescapeDataString(parts[1]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            if (kv[0].Equals("sslmode", StringComparison.OrdinalIgnoreCase) && kv.Length == 2)
                b.SslMode = Enum.Parse<SslMode>(kv[1], ignoreCase: true);
        }
        return b.ToString();
    }
}
