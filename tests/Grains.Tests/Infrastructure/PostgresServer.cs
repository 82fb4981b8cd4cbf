using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace YoloSweep.Testing;

/// <summary>
/// A throwaway PostgreSQL server on a free loopback port, in a temp folder, for one test run. PostgreSQL refuses to
/// run as root, so as root the server runs as the 'postgres' user (runuser). Missing binaries are a test failure with
/// the fix in the message, never a silent skip: CI installs them with `make deps`.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    readonly string _dir;
    readonly string _bin;
    readonly bool _asPostgresUser;

    PostgresServer(string dir, string bin, bool asPostgresUser, int port)
    {
        _dir = dir; _bin = bin; _asPostgresUser = asPostgresUser; Port = port;
    }

    public int Port { get; }

    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "postgres", Database = database, Pooling = true, MaxPoolSize = 50 }.ToString();

    public string Url(string database) => $"postgres://postgres@127.0.0.1:{Port}/{database}";

    public static string FindBinaries()
    {
        var fromEnv = Environment.GetEnvironmentVariable("YOLOSWEEP_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "pg_ctl"))) return fromEnv;
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            var found = Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (found is not null) return found;
        }
        foreach (var p in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            if (p.Length > 0 && File.Exists(Path.Combine(p, "pg_ctl")) && File.Exists(Path.Combine(p, "initdb"))) return p;
        throw new InvalidOperationException(
            "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin, YOLOSWEEP_PG_BIN or PATH. " +
            "Install them with `make deps` (Debian package 'postgresql'); the PostgreSQL store tests need a real server.");
    }

    public static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBinaries();
        var asPostgres = Environment.UserName == "root";
        var dir = Path.Combine(Path.GetTempPath(), "yolosweep-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        if (asPostgres) await Run("chown", $"postgres:postgres {dir}", asUser: null);
        var port = FreePort();
        var server = new PostgresServer(dir, bin, asPostgres, port);
        await server.Pg("initdb", $"-D {dir}/data -U postgres -A trust -E UTF8 --no-sync");
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the (stopped) server again on the same port and data.</summary>
    public Task StartAgainAsync() =>
        // fsync off: a test server only; durability is what the Silo-restart test exercises, not disk flushes.
        Pg("pg_ctl", $"-D {_dir}/data -l {_dir}/log -w -t 60 -o \"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300\" start");

    /// <summary>Stops the server (fast shutdown: open connections are cut), keeping its data.</summary>
    public Task StopAsync() => Pg("pg_ctl", $"-D {_dir}/data -m fast -w stop");

    /// <summary>A fresh database on this server (one per test keeps tests independent).</summary>
    public async Task<string> CreateDatabaseAsync(string? name = null)
    {
        name ??= "t_" + Guid.NewGuid().ToString("N")[..12];
        await using var c = new NpgsqlConnection(ConnectionString());
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", c);
        await cmd.ExecuteNonQueryAsync();
        return name;
    }

    Task Pg(string tool, string args) => Run(Path.Combine(_bin, tool), args, _asPostgresUser ? "postgres" : null);

    static async Task Run(string file, string args, string? asUser)
    {
        var psi = asUser is null
            ? new ProcessStartInfo(file, args)
            : new ProcessStartInfo("runuser", $"-u {asUser} -- {file} {args}");
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.WorkingDirectory = "/tmp";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(file)} {args} failed ({p.ExitCode}): {await stderr}{await stdout}");
    }

    public async ValueTask DisposeAsync()
    {
        try { await Pg("pg_ctl", $"-D {_dir}/data -m immediate -w stop"); } catch (Exception) { /* already down */ }
        try { Directory.Delete(_dir, recursive: true); } catch (Exception) { /* best effort */ }
    }
}
