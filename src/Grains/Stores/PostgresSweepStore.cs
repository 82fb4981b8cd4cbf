using System.Data;
using System.Data.Common;
using Npgsql;

namespace YoloSweep.Grains.Stores;

/// <summary>
/// The cluster store: several Silo replicas share one PostgreSQL database. Transitions are conditional UPDATEs
/// (one owner per trial whatever the interleaving); choosing pending trials uses FOR UPDATE SKIP LOCKED so replicas
/// do not queue behind each other; deadlocks and serialisation failures are retried.
/// </summary>
public sealed class PostgresSweepStore : SqlSweepStore
{
    readonly NpgsqlDataSource _source;

    public PostgresSweepStore(string connectionString, TimeProvider? clock = null) : base(clock ?? TimeProvider.System)
    {
        _source = NpgsqlDataSource.Create(connectionString);
    }

    protected override string SkipLocked => " FOR UPDATE SKIP LOCKED";

    protected override async Task LockSchemaAsync(DbConnection c, DbTransaction tx)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7361420)", (NpgsqlConnection)c, (NpgsqlTransaction)tx);
        await cmd.ExecuteNonQueryAsync();
    }

    protected override async Task<DbConnection> OpenAsync(CancellationToken ct) => await _source.OpenConnectionAsync(ct);

    protected override async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken ct)
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
