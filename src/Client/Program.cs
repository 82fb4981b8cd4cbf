// Placeholder entry point until the CLI lands (issue: orchestrator).
Console.Error.WriteLine("yolosweep: no commands yet");
return 1;
