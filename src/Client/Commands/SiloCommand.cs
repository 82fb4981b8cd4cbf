using System.CommandLine;
using YoloSweep.Silo;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep silo`: the coordinator (HTTP API, lease reaper, web leaderboard) until Ctrl+C / SIGTERM.</summary>
public static class SiloCommand
{
    public static Command Build()
    {
        var env = SiloOptions.FromEnvironment();
        var db = new Option<string>("--db") { Description = "SQLite file or PostgreSQL URL (env YOLOSWEEP_DB)", DefaultValueFactory = _ => env.Db };
        var urls = new Option<string>("--urls") { Description = "listen address (env YOLOSWEEP_URLS)", DefaultValueFactory = _ => env.Urls };
        var clientToken = new Option<string?>("--client-token") { Description = "client bearer token (env YOLOSWEEP_CLIENT_TOKEN)", DefaultValueFactory = _ => env.ClientToken };
        var trainerToken = new Option<string?>("--trainer-token") { Description = "trainer bearer token (env YOLOSWEEP_TRAINER_TOKEN)", DefaultValueFactory = _ => env.TrainerToken };
        var lease = new Option<double>("--lease-seconds") { Description = "lease duration; a host silent this long loses its trials", DefaultValueFactory = _ => 60 };
        var reap = new Option<double>("--reaper-seconds") { Description = "how often expired leases are collected", DefaultValueFactory = _ => 5 };
        var logFile = new Option<string?>("--log-file") { Description = "also write logs to this file" };
        var c = new Command("silo", "run the Silo (coordinator): HTTP API, lease reaper, web leaderboard") { db, urls, clientToken, trainerToken, lease, reap, logFile };
        c.SetAction(async (p, ct) =>
        {
            var options = new SiloOptions
            {
                Db = p.GetValue(db)!, Urls = p.GetValue(urls)!, ClientToken = p.GetValue(clientToken), TrainerToken = p.GetValue(trainerToken),
                LeaseDuration = TimeSpan.FromSeconds(p.GetValue(lease)), ReaperInterval = TimeSpan.FromSeconds(Math.Max(0.05, p.GetValue(reap))),
                LogFile = p.GetValue(logFile),
            };
            await using var silo = await SiloApp.StartAsync(options, ct);
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            return 0;
        });
        return c;
    }
}
