using YoloSweep.Client;

// The `yolosweep` CLI: the command tree is built in CliRoot.cs (one line per command group).
return await Cli.InvokeAsync(CliRoot.Build(), args);
