using YoloSweep.Grains.Storage;

namespace YoloSweep.Client;

/// <summary>A run's database opened straight from the CLI (no Silo): a SQLite file that must exist, or a PostgreSQL URL.</summary>
public static class LocalDatabase
{
    public static async Task<Database> OpenAsync(string db, CancellationToken ct)
    {
        if (!Database.IsPostgres(db) && !File.Exists(db)) throw new CliException($"database not found: {db}");
        var d = Database.Open(db);
        try
        {
            await Migrations.ApplyAsync(d, ct); // a database of an older build gets the current schema
            return d;
        }
        catch (Exception e) when (Database.IsUnavailable(e))
        {
            await d.DisposeAsync();
            throw new CliException($"cannot open the database '{Database.Redact(db)}': {e.Message}");
        }
    }
}
