using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace YoloSweep.Grains.Stores;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. Writers are serialised in-process (SQLite allows one writer
/// anyway) so transactions never fail on a busy lock; readers run alongside.
/// </summary>
public sealed class SqliteSweepStore : SqlSweepStore
{
    readonly string _connectionString;
    readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteSweepStore(string path, TimeProvider? clock = null) : base(clock ?? TimeProvider.System)
    {
        Path = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = Path, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public string Path { get; }

    public override async Task InitializeAsync(CancellationToken ct = default)
    {
        await using (var c = await OpenAsync(ct))
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "PRAGMA journal_mode = WAL;";
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await base.InitializeAsync(ct);
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        await c.OpenAsync(ct);
        return c;
    }

    protected override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
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
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }
}
