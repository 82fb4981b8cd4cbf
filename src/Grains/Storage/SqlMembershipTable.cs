using System.Globalization;
using System.Net;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace YoloSweep.Grains.Storage;

/// <summary>
/// Orleans cluster membership in the project's database (tables silos and silo_table_versions), for clusters of silos
/// sharing PostgreSQL. Follows the membership table contract: every insert or update also moves the table version
/// forward under an ETag check, both in one transaction, so concurrent silos never both win a change. On start a silo
/// marks long-silent entries dead (a cluster stopped by kill -9 leaves its last silo "active" forever), and Orleans
/// deletes dead entries older than the defunct-silo expiry through <see cref="CleanupDefunctSiloEntries"/>.
/// </summary>
public sealed class SqlMembershipTable(Database db, IOptions<ClusterOptions> cluster, ILogger<SqlMembershipTable> log) : IMembershipTable
{
    /// <summary>An entry not alive for this long belongs to a silo that is gone, whatever its status says.</summary>
    public static TimeSpan DefunctAfter { get; set; } = TimeSpan.FromMinutes(10);

    string ClusterId => cluster.Value.ClusterId;

    sealed class Abort : Exception;

    sealed class Row
    {
        public string Address { get; set; } = "";
        public long Port { get; set; }
        public long Generation { get; set; }
        public string SiloName { get; set; } = "";
        public string HostName { get; set; } = "";
        public long Status { get; set; }
        public long ProxyPort { get; set; }
        public string SuspectTimes { get; set; } = "";
        public long StartMs { get; set; }
        public long AliveMs { get; set; }
        public long Version { get; set; }
    }

    sealed class VersionRow
    {
        public long Version { get; set; }
        public long Etag { get; set; }
    }

    public async Task InitializeMembershipTable(bool tryInitTableVersion)
    {
        var stale = DateTimeOffset.UtcNow - DefunctAfter;
        var marked = await db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(new CommandDefinition(
                "INSERT INTO silo_table_versions (cluster_id, version, etag) VALUES (@ClusterId, 0, 0) ON CONFLICT (cluster_id) DO NOTHING",
                new { ClusterId }, tx));
            var n = await c.ExecuteAsync(new CommandDefinition(
                "UPDATE silos SET status = @dead, version = version + 1 WHERE cluster_id = @ClusterId AND status <> @dead AND alive_ms < @before",
                new { ClusterId, dead = (int)SiloStatus.Dead, before = stale.ToUnixTimeMilliseconds() }, tx));
            if (n > 0)
                await c.ExecuteAsync(new CommandDefinition(
                    "UPDATE silo_table_versions SET version = version + 1, etag = etag + 1 WHERE cluster_id = @ClusterId", new { ClusterId }, tx));
            return n;
        });
        if (marked > 0) log.LogWarning("Marked {Count} silo entries dead that were silent for over {Minutes} min", marked, DefunctAfter.TotalMinutes);
    }

    public Task DeleteMembershipTableEntries(string clusterId) =>
        db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync(new CommandDefinition("DELETE FROM silos WHERE cluster_id = @clusterId", new { clusterId }, tx));
            return await c.ExecuteAsync(new CommandDefinition("DELETE FROM silo_table_versions WHERE cluster_id = @clusterId", new { clusterId }, tx));
        });

    public Task CleanupDefunctSiloEntries(DateTimeOffset beforeDate) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM silos WHERE cluster_id = @ClusterId AND status = @dead AND alive_ms < @before",
            new { ClusterId, dead = (int)SiloStatus.Dead, before = beforeDate.ToUnixTimeMilliseconds() }, tx)));

    public Task<MembershipTableData> ReadRow(SiloAddress key) => Read(key);

    public Task<MembershipTableData> ReadAll() => Read(null);

    async Task<MembershipTableData> Read(SiloAddress? key)
    {
        await using var c = await db.OpenAsync();
        var v = await c.QueryFirstOrDefaultAsync<VersionRow>(
            "SELECT version, etag FROM silo_table_versions WHERE cluster_id = @ClusterId", new { ClusterId }) ?? new VersionRow();
        var rows = await c.QueryAsync<Row>(
            "SELECT address, port, generation, silo_name, host_name, status, proxy_port, suspect_times, start_ms, alive_ms, version FROM silos WHERE cluster_id = @ClusterId"
            + (key is null ? "" : " AND address = @address AND port = @port AND generation = @generation"),
            new { ClusterId, address = key?.Endpoint.Address.ToString(), port = key?.Endpoint.Port, generation = key?.Generation });
        var entries = rows.Select(r => Tuple.Create(ToEntry(r), r.Version.ToString(CultureInfo.InvariantCulture))).ToList();
        return new MembershipTableData(entries, new TableVersion((int)v.Version, v.Etag.ToString(CultureInfo.InvariantCulture)));
    }

    public Task<bool> InsertRow(MembershipEntry entry, TableVersion tableVersion) =>
        Change(tableVersion, async (c, tx) => await c.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO silos (cluster_id, address, port, generation, silo_name, host_name, status, proxy_port, suspect_times, start_ms, alive_ms, version)
            VALUES (@ClusterId, @address, @port, @generation, @SiloName, @HostName, @status, @ProxyPort, @suspects, @start, @alive, 1)
            ON CONFLICT (cluster_id, address, port, generation) DO NOTHING
            """, Args(entry), tx)) == 1);

    public Task<bool> UpdateRow(MembershipEntry entry, string etag, TableVersion tableVersion)
    {
        var args = new DynamicParameters(Args(entry));
        args.Add("etag", long.Parse(etag, CultureInfo.InvariantCulture));
        return Change(tableVersion, async (c, tx) => await c.ExecuteAsync(new CommandDefinition(
            """
            UPDATE silos SET silo_name = @SiloName, host_name = @HostName, status = @status, proxy_port = @ProxyPort,
              suspect_times = @suspects, start_ms = @start, alive_ms = @alive, version = version + 1
            WHERE cluster_id = @ClusterId AND address = @address AND port = @port AND generation = @generation AND version = @etag
            """, args, tx)) == 1);
    }

    public Task UpdateIAmAlive(MembershipEntry entry) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(new CommandDefinition(
            "UPDATE silos SET alive_ms = @alive WHERE cluster_id = @ClusterId AND address = @address AND port = @port AND generation = @generation",
            Args(entry), tx)));

    /// <summary>Moves the table version on (only from the version the caller read) and makes one row change, or neither.</summary>
    async Task<bool> Change(TableVersion version, Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, Task<bool>> row)
    {
        try
        {
            return await db.WriteAsync(async (c, tx) =>
            {
                var moved = await c.ExecuteAsync(new CommandDefinition(
                    "UPDATE silo_table_versions SET version = @Version, etag = etag + 1 WHERE cluster_id = @ClusterId AND etag = @expected",
                    new { version.Version, ClusterId, expected = long.Parse(version.VersionEtag, CultureInfo.InvariantCulture) }, tx));
                if (moved != 1 || !await row(c, tx)) throw new Abort(); // roll the version back with the row
                return true;
            });
        }
        catch (Abort)
        {
            return false;
        }
    }

    object Args(MembershipEntry e) => new
    {
        ClusterId, address = e.SiloAddress.Endpoint.Address.ToString(), port = e.SiloAddress.Endpoint.Port, generation = e.SiloAddress.Generation,
        SiloName = e.SiloName ?? "", HostName = e.HostName ?? "", status = (int)e.Status, e.ProxyPort,
        suspects = string.Join(";", (e.SuspectTimes ?? []).Select(s => $"{s.Item1.ToParsableString()}@{s.Item2.Ticks}")),
        start = new DateTimeOffset(DateTime.SpecifyKind(e.StartTime, DateTimeKind.Utc)).ToUnixTimeMilliseconds(),
        alive = new DateTimeOffset(DateTime.SpecifyKind(e.IAmAliveTime, DateTimeKind.Utc)).ToUnixTimeMilliseconds(),
    };

    static MembershipEntry ToEntry(Row r) => new()
    {
        SiloAddress = SiloAddress.New(IPAddress.Parse(r.Address), (int)r.Port, (int)r.Generation),
        SiloName = r.SiloName, HostName = r.HostName, Status = (SiloStatus)r.Status, ProxyPort = (int)r.ProxyPort,
        SuspectTimes = r.SuspectTimes.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(s =>
        {
            var at = s.LastIndexOf('@');
            return Tuple.Create(SiloAddress.FromParsableString(s[..at]), new DateTime(long.Parse(s[(at + 1)..], CultureInfo.InvariantCulture), DateTimeKind.Utc));
        }).ToList(),
        StartTime = DateTimeOffset.FromUnixTimeMilliseconds(r.StartMs).UtcDateTime,
        IAmAliveTime = DateTimeOffset.FromUnixTimeMilliseconds(r.AliveMs).UtcDateTime,
    };
}
