using System.CommandLine;
using Spectre.Console;
using YoloSweep.Grains.Storage;
using YoloSweep.Silo.Web;

namespace YoloSweep.Client.Commands;

/// <summary>
/// `yolosweep dashboard --db runs/NAME/yolosweep.db`: the Silo's web dashboard (sweeps, leaderboard, plots, trial
/// pages) over a run's database, on 127.0.0.1 without a token, read-only, until Ctrl+C.
/// </summary>
public static class DashboardCommand
{
    public static Command Build()
    {
        var db = new Option<string>("--db") { Description = "the run's database (runs/NAME/yolosweep.db, or a PostgreSQL URL)", Required = true };
        var port = new Option<int>("--port") { Description = "port on 127.0.0.1 (0 picks a free one)", DefaultValueFactory = _ => 8080 };
        var shared = new Option<string?>("--shared")
        {
            Description = "the shared folder with the trials' artefacts and logs (default: env YOLOSWEEP_SHARED_DIR, else runs/shared beside the database's run folder)",
        };
        var c = new Command("dashboard", "serve the web dashboard of a run's database on 127.0.0.1 (read-only, no token) until Ctrl+C") { db, port, shared };
        c.SetAction(async (p, ct) =>
        {
            var path = p.GetValue(db)!;
            var portNumber = p.GetValue(port);
            if (portNumber is < 0 or > 65535) throw new CliException("--port must be in 0..65535");
            var sharedDir = p.GetValue(shared) ?? DefaultShared(path);
            if (sharedDir is not null && !Directory.Exists(sharedDir))
            {
                if (p.GetValue(shared) is not null) throw new CliException($"shared folder not found: {sharedDir}");
                sharedDir = null;
            }
            await using var database = await LocalDatabase.OpenAsync(path, ct);
            DashboardServer server;
            try
            {
                server = await DashboardServer.StartAsync(database, new DashboardOptions { Port = portNumber, SharedDir = sharedDir }, ct);
            }
            catch (IOException e)
            {
                throw new CliException($"cannot listen on 127.0.0.1:{portNumber}: {e.Message} (choose another with --port)");
            }
            await using (server)
            {
                var console = AnsiConsole.Console;
                console.MarkupLine($"dashboard of [bold]{Markup.Escape(Database.Redact(path))}[/]: [link]{server.Url}/[/]");
                console.MarkupLine(sharedDir is null
                    ? "[yellow]no shared folder[/] (--shared DIR): trial pages show no artefacts or logs"
                    : $"artefacts and logs from {Markup.Escape(Path.GetFullPath(sharedDir))}");
                console.MarkupLine("read-only, 127.0.0.1 only; Ctrl+C stops it");
                try { await Task.Delay(Timeout.Infinite, ct); }
                catch (OperationCanceledException) { }
            }
            return 0;
        });
        return c;
    }

    /// <summary>YOLOSWEEP_SHARED_DIR, else runs/shared for runs/NAME/yolosweep.db (what `yolosweep run` uses).</summary>
    static string? DefaultShared(string db)
    {
        if (Environment.GetEnvironmentVariable("YOLOSWEEP_SHARED_DIR") is { Length: > 0 } env) return env;
        if (Database.IsPostgres(db)) return null;
        var runDir = Path.GetDirectoryName(Path.GetFullPath(db));
        return runDir is null ? null : Path.Combine(Path.GetDirectoryName(runDir) ?? runDir, "shared");
    }
}
