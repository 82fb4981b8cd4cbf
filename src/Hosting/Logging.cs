using Serilog;
using Serilog.Events;

namespace YoloSweep.Hosting;

/// <summary>The one Serilog setup of every YoloSweep process (Silo, trainer host, embedded run).</summary>
public static class Logging
{
    public static Serilog.ILogger Create(string? file, bool console, LogEventLevel level = LogEventLevel.Information)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(level)
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .Enrich.FromLogContext();
        const string template = "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";
        if (console) config = config.WriteTo.Console(outputTemplate: template, standardErrorFromLevel: LogEventLevel.Verbose);
        if (file is not null) config = config.WriteTo.File(file, outputTemplate: template, shared: true);
        return config.CreateLogger();
    }
}
