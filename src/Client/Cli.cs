using System.CommandLine;
using System.Net;
using Spectre.Console;
using YoloSweep.Contracts.Sweeps;
using YoloSweep.Hosting;
using YoloSweep.Silo;

namespace YoloSweep.Client;

/// <summary>A user error: printed as "error: …" with exit code 1, never a stack trace.</summary>
public sealed class CliException(string message, IReadOnlyList<string>? details = null) : Exception(message)
{
    public IReadOnlyList<string> Details { get; } = details ?? [];
}

/// <summary>Options and error handling every command shares.</summary>
public static class Cli
{
    public static Option<string> SiloOption() => new("--silo")
    {
        Description = "Silo URL (env YOLOSWEEP_SILO)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("YOLOSWEEP_SILO") is { Length: > 0 } s ? s : "http://127.0.0.1:8080",
    };

    public static Option<string?> TokenOption() => new("--token")
    {
        Description = "client token; visible in ps: prefer env YOLOSWEEP_TOKEN (or YOLOSWEEP_TOKEN_FILE)",
    };

    public static Option<string> FormatOption(params string[] formats)
    {
        var o = new Option<string>("--format") { Description = "output: " + string.Join("|", formats), DefaultValueFactory = _ => formats[0] };
        o.AcceptOnlyFromAmong(formats);
        return o;
    }

    public static SiloClient Connect(ParseResult p, Option<string> silo, Option<string?> token)
    {
        var t = p.GetValue(token);
        if (t is not null) WarnTokenOnCommandLine("--token", "YOLOSWEEP_TOKEN");
        t ??= Secrets.Read("YOLOSWEEP_TOKEN");
        if (string.IsNullOrEmpty(t)) throw new CliException("no token: set YOLOSWEEP_TOKEN (or YOLOSWEEP_TOKEN_FILE) to the Silo's client token");
        return new SiloClient(p.GetValue(silo)!, t);
    }

    /// <summary>A token given as an argument is visible to every user of the machine (ps, /proc): say so, once.</summary>
    public static void WarnTokenOnCommandLine(string flag, string env)
    {
        if (Environment.GetEnvironmentVariable("YOLOSWEEP_QUIET_TOKEN_WARNING") == "1") return;
        Stderr().MarkupLine($"[yellow]warning:[/] {flag} shows the token to anyone who can run ps here; set {env} (or {env}_FILE) instead");
    }

    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        if (Console.IsOutputRedirected)
        {
            // Piped or captured output (scripts, CI logs): plain text, wide enough that tables do not wrap.
            AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings
            {
                Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
                Out = new AnsiConsoleOutput(Console.Out),
            });
            AnsiConsole.Console.Profile.Width = 250;
        }
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        try
        {
            return await root.Parse(args).InvokeAsync(config);
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    /// <summary>Turns known failures into one clear line (plus details) and an exit code.</summary>
    public static int Report(Exception e)
    {
        var err = Stderr();
        void Line(string text) => err.MarkupLine("[red]error:[/] " + Markup.Escape(text));
        switch (e)
        {
            case CliException c:
                Line(c.Message);
                foreach (var d in c.Details) err.WriteLine("  " + d);
                return 1;
            case SweepSpecException s:
                Line($"the sweep file does not validate ({s.Errors.Count} error(s)):");
                foreach (var d in s.Errors) err.WriteLine("  " + d);
                return 1;
            case SiloConfigException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException:
                Line(e.Message);
                return 1;
            case HttpRequestException h:
                Line(h.StatusCode is null ? $"cannot reach the Silo: {h.Message}" : h.Message);
                return 1;
            case TaskCanceledException or OperationCanceledException:
                Line("interrupted");
                return 130;
            default:
                Line($"unexpected {e.GetType().Name}: {e.Message}");
                if (Environment.GetEnvironmentVariable("YOLOSWEEP_DEBUG") == "1") err.WriteException(e);
                else err.WriteLine("  (set YOLOSWEEP_DEBUG=1 for the stack trace)");
                return 70;
        }
    }

    /// <summary>A console on stderr (plain text when stderr is captured), for messages beside machine-readable stdout.</summary>
    public static IAnsiConsole Stderr()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Ansi = Console.IsErrorRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Console.IsErrorRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (Console.IsErrorRedirected) console.Profile.Width = 250; // captured: do not wrap messages
        return console;
    }

    public static string ReadSweepFile(string path)
    {
        if (!File.Exists(path)) throw new CliException($"sweep file not found: {path}");
        // Checked here, before reading and parsing: the Silo would refuse it anyway, and a 50 MB upload
        // cut off by that refusal reads as "cannot reach the Silo".
        var size = new FileInfo(path).Length;
        if (size > Contracts.Sweeps.SweepLimits.MaxBytes)
            throw new CliException($"{path}: the sweep file is {size} bytes, more than the limit of {Contracts.Sweeps.SweepLimits.MaxBytes} bytes (1 MiB)");
        return File.ReadAllText(path);
    }

    public static bool IsUnauthorized(HttpStatusCode s) => s is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden;
}
