using System.Data;
using System.Data.Common;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace YoloSweep.Grains.Storage;

/// <summary>
/// The project's database: one SQLite file (embedded mode) or a PostgreSQL server that every silo of a cluster shares.
/// Both run the same SQL (ON CONFLICT, RETURNING); they differ only in how a connection and a write transaction are
/// obtained. Grain state, the membership and reminder tables and the read model all go through here.
/// </summary>
public abstract partial class Database : IAsyncDisposable
{
    static Database() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    /// <summary>A PostgreSQL URL or connection string, else a SQLite file path.</summary>
    public static Database Open(string db) =>
        IsPostgres(db) ? new PostgresDatabase(ToConnectionString(db)) : new SqliteDatabase(db);

    public static bool IsPostgres(string db) =>
        db.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        db.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
        db.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    public abstract bool Postgres { get; }

    /// <summary>Where the data lives, for logs (no password).</summary>
    public abstract string Describe { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken ct = default);

    /// <summary>Runs <paramref name="work"/> in a write transaction and commits it (retrying lock conflicts).</summary>
    public abstract Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default);

    /// <summary>Serialises schema changes between silos starting at once (PostgreSQL); nothing for SQLite.</summary>
    internal virtual Task LockSchemaAsync(DbConnection c, DbTransaction tx) => Task.CompletedTask;

    /// <summary>True when the database answers (readiness).</summary>
    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        try
        {
            await using var c = await OpenAsync(ct);
            return await c.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1", cancellationToken: ct)) == 1;
        }
        catch (Exception e) when (IsUnavailable(e) && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>An error that means "the database is not there right now" (retry later), not a bug.</summary>
    public static bool IsUnavailable(Exception e) =>
        e is DbException or TimeoutException or System.Net.Sockets.SocketException or IOException
        || e.InnerException is { } inner && IsUnavailable(inner);

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

    /// <summary>A connection string or URL without its password, for logs and errors.</summary>
    public static string Redact(string db) =>
        UrlPassword().Replace(KeyPassword().Replace(db, "$1=***"), "://$1:***@");

    [GeneratedRegex(@"(?i)(password|pwd)=[^;]*")]
    private static partial Regex KeyPassword();

    [GeneratedRegex(@"://([^:/@]+):[^@]*@")]
    private static partial Regex UrlPassword();

    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// One SQLite file in WAL mode. Writers are serialised in-process (SQLite allows one writer anyway), so transactions
/// never fail on a busy lock; readers run alongside.
/// </summary>
public sealed class SqliteDatabase : Database
{
    readonly string _connectionString;
    readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public string Path { get; }
    public override bool Postgres => false;
    public override string Describe => Path;

    public override async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct);
        return c;
    }

    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default)
    {
        await _writer.WaitAsync(ct);
        try
        {
            await using var c = (SqliteConnection)await OpenAsync(ct);
            await using var tx = c.BeginTransaction(deferred: false); // BEGIN IMMEDIATE: take the write lock up front
            var result = await work(c, tx);
            await tx.CommitAsync(ct);
            return result;
        }
        finally
        {
            _writer.Release();
        }
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A PostgreSQL database several silos share. Transitions are conditional UPDATEs, so concurrent writers never both
/// win; deadlocks and serialisation failures are retried.
/// </summary>
public sealed class PostgresDatabase(string connectionString) : Database
{
    readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);

    public override bool Postgres => true;
    public override string Describe => Redact(connectionString);

    public override async Task<DbConnection> OpenAsync(CancellationToken ct = default) => await _source.OpenConnectionAsync(ct);

    internal override async Task LockSchemaAsync(DbConnection c, DbTransaction tx)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7361420)", (NpgsqlConnection)c, (NpgsqlTransaction)tx);
        await cmd.ExecuteNonQueryAsync();
    }

    public override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var c = await _source.OpenConnectionAsync(ct);
                await using var tx = await c.BeginTransactionAsync(IsolationLevel.ReadCommitted, ct);
                var result = await work(c, tx);
                await tx.CommitAsync(ct);
                return result;
            }
            catch (PostgresException e) when (attempt < 5 && e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected)
            {
                await Task.Delay(Random.Shared.Next(5, 20 * attempt), ct);
            }
        }
    }

    public override async ValueTask DisposeAsync() => await _source.DisposeAsync();
}
