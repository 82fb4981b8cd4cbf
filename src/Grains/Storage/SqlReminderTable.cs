using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace YoloSweep.Grains.Storage;

/// <summary>
/// Orleans reminders in the project's database (table reminders), on SQLite and PostgreSQL alike: the durable
/// backstop that wakes a leased trial whose silo died. Rows carry the grain's uniform hash so each silo reads the
/// reminders of its own range of the ring; the ETag is the row version.
/// </summary>
public sealed class SqlReminderTable(Database db, IOptions<ClusterOptions> cluster) : IReminderTable
{
    string ServiceId => cluster.Value.ServiceId;

    sealed class Row
    {
        public string GrainId { get; set; } = "";
        public string Name { get; set; } = "";
        public long StartMs { get; set; }
        public long PeriodMs { get; set; }
        public long Version { get; set; }
    }

    const string Columns = "grain_id, name, start_ms, period_ms, version";

    public Task Init() => Task.CompletedTask;

    public async Task<ReminderTableData> ReadRows(GrainId grainId) =>
        await Query($"SELECT {Columns} FROM reminders WHERE service_id = @ServiceId AND grain_id = @grain", new { ServiceId, grain = grainId.ToString() });

    public async Task<ReminderTableData> ReadRows(uint begin, uint end) =>
        // The ring range (begin, end]; when begin ≥ end it wraps around zero.
        await Query($"SELECT {Columns} FROM reminders WHERE service_id = @ServiceId AND " +
                    (begin < end ? "grain_hash > @begin AND grain_hash <= @end" : "(grain_hash > @begin OR grain_hash <= @end)"),
            new { ServiceId, begin = (long)begin, end = (long)end });

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) =>
        (await Query($"SELECT {Columns} FROM reminders WHERE service_id = @ServiceId AND grain_id = @grain AND name = @reminderName",
            new { ServiceId, grain = grainId.ToString(), reminderName })).Reminders.FirstOrDefault();

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var version = await db.WriteAsync((c, tx) => c.QuerySingleAsync<long>(new CommandDefinition(
            """
            INSERT INTO reminders (service_id, grain_id, name, start_ms, period_ms, grain_hash, version)
            VALUES (@ServiceId, @grain, @ReminderName, @start, @period, @hash, 1)
            ON CONFLICT (service_id, grain_id, name) DO UPDATE SET start_ms = excluded.start_ms, period_ms = excluded.period_ms,
              version = reminders.version + 1
            RETURNING version
            """,
            new
            {
                ServiceId, grain = entry.GrainId.ToString(), entry.ReminderName,
                start = new DateTimeOffset(DateTime.SpecifyKind(entry.StartAt, DateTimeKind.Utc)).ToUnixTimeMilliseconds(),
                period = (long)entry.Period.TotalMilliseconds, hash = (long)entry.GrainId.GetUniformHashCode(),
            }, tx)));
        return version.ToString(CultureInfo.InvariantCulture);
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync(new CommandDefinition(
            "DELETE FROM reminders WHERE service_id = @ServiceId AND grain_id = @grain AND name = @reminderName AND version = @version",
            new { ServiceId, grain = grainId.ToString(), reminderName, version = long.Parse(eTag, CultureInfo.InvariantCulture) }, tx))) == 1;

    public Task TestOnlyClearTable() =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(new CommandDefinition("DELETE FROM reminders WHERE service_id = @ServiceId", new { ServiceId }, tx)));

    async Task<ReminderTableData> Query(string sql, object args)
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<Row>(sql, args);
        return new ReminderTableData(rows.Select(r => new ReminderEntry
        {
            GrainId = GrainId.Parse(r.GrainId), ReminderName = r.Name, StartAt = DateTimeOffset.FromUnixTimeMilliseconds(r.StartMs).UtcDateTime,
            Period = TimeSpan.FromMilliseconds(r.PeriodMs), ETag = r.Version.ToString(CultureInfo.InvariantCulture),
        }));
    }
}
