using System.CommandLine;
using YoloSweep.Hosting;
using YoloSweep.Silo;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep silo`: a silo of the coordinator (Orleans grains, HTTP API, web dashboard) until Ctrl+C / SIGTERM.</summary>
public static class SiloCommand
{
    public static Command Build()
    {
        var env = SiloOptions.FromEnvironment();
        var db = new Option<string>("--db") { Description = "SQLite file (one silo) or PostgreSQL URL (a cluster of silos) (env YOLOSWEEP_DB)", DefaultValueFactory = _ => env.Db };
        var urls = new Option<string>("--urls") { Description = "HTTP listen address (env YOLOSWEEP_URLS)", DefaultValueFactory = _ => env.Urls };
        var clientToken = new Option<string?>("--client-token") { Description = "client token; visible in ps: prefer env YOLOSWEEP_CLIENT_TOKEN or --client-token-file" };
        var trainerToken = new Option<string?>("--trainer-token") { Description = "trainer token; visible in ps: prefer env YOLOSWEEP_TRAINER_TOKEN or --trainer-token-file" };
        var clientTokenFile = new Option<string?>("--client-token-file") { Description = "file holding the client token (or env YOLOSWEEP_CLIENT_TOKEN_FILE)" };
        var trainerTokenFile = new Option<string?>("--trainer-token-file") { Description = "file holding the trainer token (or env YOLOSWEEP_TRAINER_TOKEN_FILE)" };
        var lease = new Option<double?>("--lease-seconds") { Description = "lease duration, a property of the cluster: the first silo stores it (default 60), later silos must agree" };
        var siloPort = new Option<int>("--silo-port") { Description = "Orleans silo-to-silo port (env YOLOSWEEP_SILO_PORT)", DefaultValueFactory = _ => env.SiloPort };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Orleans gateway port, 0 = none (env YOLOSWEEP_GATEWAY_PORT)", DefaultValueFactory = _ => env.GatewayPort };
        var advertise = new Option<string?>("--advertise-address") { Description = "IP other silos reach this one at (env YOLOSWEEP_ADVERTISE_ADDRESS, else POD_IP)", DefaultValueFactory = _ => env.AdvertiseAddress };
        var clusterId = new Option<string>("--cluster-id") { Description = "Orleans cluster id (env YOLOSWEEP_CLUSTER_ID)", DefaultValueFactory = _ => env.ClusterId };
        var logFile = new Option<string?>("--log-file") { Description = "also write logs to this file" };
        var c = new Command("silo", "run a silo: the coordinator's grains, HTTP API, web dashboard and Orleans dashboard")
            { db, urls, clientToken, trainerToken, clientTokenFile, trainerTokenFile, lease, siloPort, gatewayPort, advertise, clusterId, logFile };
        c.SetAction(async (p, ct) =>
        {
            string? Token(Option<string?> flag, Option<string?> file, string name, string? fromEnv)
            {
                if (p.GetValue(file) is { } f) return Secrets.FromFile(f, file.Name);
                if (p.GetValue(flag) is { } t) { Cli.WarnTokenOnCommandLine(flag.Name, name); return t; }
                return fromEnv;
            }
            var options = env with
            {
                Db = p.GetValue(db)!, Urls = p.GetValue(urls)!,
                ClientToken = Token(clientToken, clientTokenFile, "YOLOSWEEP_CLIENT_TOKEN", env.ClientToken),
                TrainerToken = Token(trainerToken, trainerTokenFile, "YOLOSWEEP_TRAINER_TOKEN", env.TrainerToken),
                LeaseDuration = p.GetValue(lease) is { } s ? TimeSpan.FromSeconds(s) : null,
                SiloPort = p.GetValue(siloPort), GatewayPort = p.GetValue(gatewayPort), AdvertiseAddress = p.GetValue(advertise),
                ClusterId = p.GetValue(clusterId)!, LogFile = p.GetValue(logFile),
            };
            await using var silo = await SiloApp.StartAsync(options, ct);
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            return 0;
        });
        return c;
    }
}
