using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using YoloSweep.Client;
using YoloSweep.Deploy.Tests;
using YoloSweep.Contracts.Sweeps;
using YoloSweep.Agent;
using static YoloSweep.Deploy.Tests.Yaml;

namespace YoloSweep.EndToEnd.Tests;

/// <summary>
/// Every `yolosweep` command line that k8s/ runs (container command/args over the image's ENTRYPOINT/CMD, with
/// Kubernetes' $(VAR) expansion) and that docs/kubernetes.md and README.md show is accepted by the real CLI parser
/// (CliRoot.Build(), nothing is run), and the values the CLI reads from the environment (YOLOSWEEP_DEVICES,
/// YOLOSWEEP_SILO, …) are ones it accepts.
/// </summary>
public partial class CliCommandLineTests
{
    /// <summary>A CLI command line and where it was found.</summary>
    public sealed record CommandLine(string Source, string[] Args, IReadOnlyDictionary<string, string> Env)
    {
        public override string ToString() => $"{Source}: yolosweep {string.Join(' ', Args)}";
    }

    /// <summary>Parses with the real command tree; the errors, or none.</summary>
    static (ParseResult Result, List<string> Errors) Parse(string[] args)
    {
        var result = CliRoot.Build().Parse(args);
        var errors = result.Errors.Select(e => e.Message).ToList();
        if (result.CommandResult.Command.Action == null && errors.Count == 0)
            errors.Add($"'{result.CommandResult.Command.Name}' is a command group, not a command that runs");
        return (result, errors);
    }

    // ---- manifests ----

    /// <summary>Every container that runs one of our images, in every kustomization a user applies.</summary>
    public static IEnumerable<object[]> ManifestCommandLines()
    {
        foreach (var overlay in Rendered.Deployable)
        {
            var cluster = Rendered.WithSubmitJob(overlay);
            foreach (var o in cluster)
                foreach (var container in Kustomize.Containers(o))
                {
                    var image = Str(container, "image")!;
                    if (DeployImage(image) is not { } deploy) continue;
                    var where = $"{overlay}: {Str(o, "kind")}/{Str(o, "metadata", "name")} container {Str(container, "name")}";
                    var (entrypoint, cmd) = Dockerfile(deploy);
                    var command = List(container, "command").Cast<string>().ToList();
                    var args = List(container, "args").Cast<string>().ToList();
                    // Kubernetes: command replaces ENTRYPOINT (and drops CMD), args replaces CMD.
                    var argv = command.Count > 0 ? [.. command, .. args] : entrypoint.Concat(args.Count > 0 ? args : cmd).ToList();
                    var env = ContainerEnvironment.Of(container, cluster, []);
                    foreach (var (key, value) in env.ToList())
                        if (value.StartsWith("Secret/") && value.Split('/', ':') is [_, var secret, var secretKey])
                            env[key] = ContainerEnvironment.SecretValue(cluster, secret, secretKey);
                    yield return [new CommandLine(where, [.. CliArgs(argv, entrypoint, where).Select(a => Expand(a, env))], env)];
                }
        }
    }

    /// <summary>deploy/NAME for an image yolosweep/NAME (any registry, any tag), else null.</summary>
    static string? DeployImage(string image)
    {
        var (name, _) = Kustomize.SplitImage(image);
        var m = Regex.Match(name, @"(?:^|/)yolosweep/([a-z][a-z-]*)$");
        return m.Success && File.Exists(Repo.PathOf($"deploy/{m.Groups[1].Value}/Dockerfile")) ? m.Groups[1].Value : null;
    }

    static (List<string> Entrypoint, List<string> Cmd) Dockerfile(string deploy)
    {
        var text = Repo.Read($"deploy/{deploy}/Dockerfile");
        List<string> Last(string instruction) => Regex.Matches(text, $@"(?m)^{instruction}\s+(\[.*\])\s*$")
            .Select(m => JsonSerializer.Deserialize<List<string>>(m.Groups[1].Value)!).LastOrDefault() ?? [];
        return (Last("ENTRYPOINT"), Last("CMD"));
    }

    /// <summary>The CLI's arguments: argv less the program (yolosweep, /app/yolosweep, dotnet …/yolosweep.dll).</summary>
    static IEnumerable<string> CliArgs(List<string> argv, List<string> entrypoint, string where)
    {
        if (argv.Count >= 1 && Path.GetFileName(argv[0]) == "yolosweep") return argv.Skip(1);
        if (argv.Count >= 2 && Path.GetFileName(argv[0]) == "dotnet" && Path.GetFileName(argv[1]) == "yolosweep.dll") return argv.Skip(2);
        throw new Xunit.Sdk.XunitException($"{where}: runs '{string.Join(' ', argv)}', not the yolosweep CLI (image ENTRYPOINT {string.Join(' ', entrypoint)})");
    }

    /// <summary>Kubernetes' $(VAR) expansion from the container's environment (unknown names stay as written).</summary>
    static string Expand(string arg, IReadOnlyDictionary<string, string> env) =>
        Regex.Replace(arg, @"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", m => env.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    [Fact]
    public void The_manifests_run_the_silo_the_trainer_and_submit()
    {
        var commands = ManifestCommandLines().Select(o => ((CommandLine)o[0]).Args[0]).Distinct().Order();
        Assert.Equal(["silo", "submit", "trainer"], commands);
    }

    [Theory]
    [MemberData(nameof(ManifestCommandLines))]
    public void Manifest_command_lines_parse_with_the_real_CLI(CommandLine line)
    {
        Assert.DoesNotContain(line.Args, a => a.Contains("$("));
        var (result, errors) = Parse(line.Args);
        Assert.True(errors.Count == 0, $"{line}:\n  {string.Join("\n  ", errors)}");
        CheckValues(line, result, line.Env);
    }

    /// <summary>Values the CLI reads from options or, when absent, from the environment, are ones it accepts.</summary>
    static void CheckValues(CommandLine line, ParseResult p, IReadOnlyDictionary<string, string> env)
    {
        string? Value(string option, string variable) =>
            (p.CommandResult.Command.Options.Any(o => o.Name == option) && p.GetResult(option) is System.CommandLine.Parsing.OptionResult { Implicit: false } ? p.GetValue<string>(option) : null)
            ?? (env.TryGetValue(variable, out var v) && v.Length > 0 ? v : null);

        var command = p.CommandResult.Command.Name;
        if (command is "trainer" or "run")
        {
            var devices = Value("--devices", "YOLOSWEEP_DEVICES");
            if (devices != null)
            {
                var e = Record.Exception(() => Devices.Parse(devices, cudaDeviceCount: () => 64)); // as on the GPU node it targets
                Assert.True(e == null, $"{line}: devices '{devices}' are not accepted by the trainer: {e?.Message}");
            }
        }
        if (command is "trainer" or "submit" or "sweeps" or "trials" or "leaderboard" or "list" or "show" or "cancel")
            if (Value("--silo", "YOLOSWEEP_SILO") is { } silo)
                Assert.True(Uri.TryCreate(silo, UriKind.Absolute, out var u) && u.Scheme is "http" or "https", $"{line}: Silo URL '{silo}' is not an http(s) URL");
        if (command == "silo")
        {
            var urls = Value("--urls", "YOLOSWEEP_URLS");
            foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries))
                Assert.True(Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out _), $"{line}: listen URL '{url}' is not a URL");
        }
    }

    [Theory]
    [MemberData(nameof(ManifestCommandLines))]
    public void Manifest_environments_satisfy_the_programs_own_validation(CommandLine line)
    {
        string? Env(string name) => line.Env.TryGetValue(name, out var v) && v.Length > 0 ? v : null;
        switch (line.Args[0])
        {
            case "silo":
                // What `yolosweep silo` checks before it starts (tokens present and different, …).
                var options = new YoloSweep.Silo.SiloOptions
                {
                    Db = Env("YOLOSWEEP_DB") ?? "yolosweep.db", Urls = Env("YOLOSWEEP_URLS") ?? "",
                    ClientToken = Env("YOLOSWEEP_CLIENT_TOKEN"), TrainerToken = Env("YOLOSWEEP_TRAINER_TOKEN"),
                };
                var e = Record.Exception(options.Validate);
                Assert.True(e == null, $"{line}: the Silo would not start: {e?.Message}");
                break;
            case "trainer":
                Assert.True(Env("YOLOSWEEP_TRAINER_TOKEN") != null, $"{line}: no YOLOSWEEP_TRAINER_TOKEN (the trainer exits without one)");
                break;
            case "submit":
                Assert.True(Env("YOLOSWEEP_TOKEN") != null, $"{line}: no YOLOSWEEP_TOKEN (submit exits without one)");
                break;
        }
    }

    [Fact]
    public void The_example_sweep_the_Job_submits_validates()
    {
        var path = Repo.PathOf("k8s/examples/submit-sweep/sweep.yaml");
        var e = Record.Exception(() => SweepSpecParser.Parse(File.ReadAllText(path), "k8s/examples/submit-sweep/sweep.yaml"));
        Assert.True(e == null, $"k8s/examples/submit-sweep/sweep.yaml does not validate: {((e as SweepSpecException)?.Errors is { } errs ? string.Join("; ", errs) : e?.Message)}");
    }

    // ---- docs ----

    /// <summary>Values for the shell variables the docs use in CLI lines.</summary>
    static readonly Dictionary<string, string> ShellVariables = new()
    {
        ["YOLOSWEEP_SILO"] = "http://localhost:8080", ["YOLOSWEEP_TOKEN"] = "client-token",
    };

    public static IEnumerable<object[]> DocCommandLines() =>
        new[] { "docs/kubernetes.md", "README.md" }.SelectMany(DocCommandLinesOf).Select(c => new object[] { c });

    /// <summary>
    /// Every `yolosweep …` / `bin/yolosweep …` command in the page's fenced shell blocks. Synopsis notation is
    /// expanded: [optional] parts are included, `a|b|c` values give one line per alternative, and
    /// `yolosweep x | y | z` gives one line per subcommand.
    /// </summary>
    static IEnumerable<CommandLine> DocCommandLinesOf(string page)
    {
        var text = Repo.Read(page);
        foreach (Match block in FencedBlock().Matches(text))
        {
            if (block.Groups[1].Value is not ("" or "bash" or "sh" or "console")) continue;
            var lineNumber = text[..block.Index].Count(ch => ch == '\n') + 1;
            foreach (var raw in block.Groups[2].Value.Replace("\\\n", " ").Split('\n'))
            {
                lineNumber++;
                var line = StripComment(raw).Trim();
                foreach (var segment in Regex.Split(line, @"\s*(?:;|&&)\s*"))
                {
                    var tokens = Tokens(segment.TrimEnd('&').Trim());
                    if (tokens.Count == 0 || Path.GetFileName(tokens[0]) != "yolosweep" || tokens[0].Contains('=')) continue;
                    var args = tokens.Skip(1).Select(t => t.Replace("[", "").Replace("]", "")).Where(t => t.Length > 0).ToList();
                    // `yolosweep sweeps list | sweeps show NAME`: alternatives of whole command lines.
                    var alternatives = new List<List<string>> { new() };
                    foreach (var t in args)
                        if (t == "|") alternatives.Add([]);
                        else alternatives[^1].Add(t);
                    foreach (var alternative in alternatives)
                        foreach (var expanded in ExpandValues(alternative))
                            yield return new CommandLine($"{page}:{lineNumber}", [.. expanded], ShellVariables);
                }
            }
        }
    }

    static IEnumerable<List<string>> ExpandValues(List<string> args)
    {
        var i = args.FindIndex(a => a.Contains('|'));
        if (i < 0) { yield return args.Select(ExpandShell).ToList(); yield break; }
        foreach (var choice in args[i].Split('|'))
            foreach (var rest in ExpandValues([.. args[..i], choice, .. args[(i + 1)..]]))
                yield return rest;
    }

    static string ExpandShell(string arg) =>
        Regex.Replace(arg, @"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", m => ShellVariables.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    /// <summary>The line less a shell comment (a # at the start of a word, outside quotes).</summary>
    static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quote != '\0') { if (ch == quote) quote = '\0'; }
            else if (ch is '"' or '\'') quote = ch;
            else if (ch == '#' && (i == 0 || char.IsWhiteSpace(line[i - 1]))) return line[..i];
        }
        return line;
    }

    /// <summary>Shell words: quotes group and are removed; a lone | is its own word.</summary>
    static List<string> Tokens(string command) =>
        Regex.Matches(command, "(?:\"[^\"]*\"|'[^']*'|[^\\s\"'])+").Select(m => m.Value.Replace("\"", "").Replace("'", "")).ToList();

    [Fact]
    public void The_docs_show_CLI_command_lines()
    {
        var lines = DocCommandLines().Select(o => (CommandLine)o[0]).ToList();
        Assert.Contains(lines, l => l.Source.StartsWith("docs/kubernetes.md"));
        Assert.Contains(lines, l => l.Source.StartsWith("README.md"));
    }

    [Theory]
    [MemberData(nameof(DocCommandLines))]
    public void Doc_command_lines_parse_with_the_real_CLI(CommandLine line)
    {
        var (result, errors) = Parse(line.Args);
        Assert.True(errors.Count == 0, $"{line}:\n  {string.Join("\n  ", errors)}");
        CheckValues(line, result, line.Env);
    }

    // ---- the README's single-machine commands, executed ----

    /// <summary>The README's one-machine commands that need no GPU and no Silo: `data synth`, `train`, `val`,
    /// `predict`, `model info`, `model run`, in the order the README shows them.</summary>
    static List<CommandLine> SingleMachineReadmeLines() =>
        DocCommandLinesOf("README.md").Where(l => l.Args.Length > 0 && l.Args[0] is "data" or "train" or "val" or "predict" or "model").ToList();

    /// <summary>What the test changes so that CI stays fast, and nothing else: 32 + 8 synth images at 64 px
    /// instead of 800 + 200 at 128, and 1 epoch instead of the README's 30 (everything else runs as written).</summary>
    static string[] Shrunk(string[] args)
    {
        if (args is ["data", "synth", ..]) return [.. args, "--train", "32", "--val", "8", "--imgsz", "64"];
        var a = args.ToArray();
        var i = Array.IndexOf(a, "--epochs");
        if (args[0] == "train" && i >= 0) a[i + 1] = "1";
        return a;
    }

    [Fact]
    public async Task The_README_single_machine_commands_run_as_written_on_a_fresh_checkout()
    {
        var lines = SingleMachineReadmeLines();
        Assert.Contains(lines, l => l.Args[0] == "train");
        Assert.Contains(lines, l => l.Args[0] == "val");
        Assert.Contains(lines, l => l.Args[0] == "predict");
        // a folder that looks like a fresh clone to the commands: the repository's files (here only tests/, which the
        // model run lines read) and no runs/
        var dir = Directory.CreateTempSubdirectory("yolosweep-readme-").FullName;
        Directory.CreateSymbolicLink(Path.Combine(dir, "tests"), Repo.PathOf("tests"));
        try
        {
            foreach (var line in lines)
            {
                var args = Shrunk(line.Args);
                var (code, stdout, stderr) = await YoloSweep.Testing.CliProcess.RunAsync(dir, args, timeout: TimeSpan.FromMinutes(4));
                Assert.True(code == 0, $"{line} exited {code}\n{stdout}\n{stderr}");
            }
            // what the README says each step leaves
            foreach (var file in new[]
                     {
                         "runs/shared/data/shapes/data.yaml", "runs/train/weights/best.safetensors", "runs/train/results.png", "runs/train/args.yaml",
                         "runs/val/metrics.json", "runs/val/confusion_matrix.png", "runs/predict/predictions.json", "runs/predict/val_00000.png",
                         "runs/yolov5_n.out.safetensors", "runs/yolov8n.out.safetensors",
                     })
                Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing after the README's commands");
            Assert.False(Directory.Exists(Path.Combine(dir, "runs", "train2")), "the README's val/predict read runs/train: it must be the only training run");
        }
        finally { Directory.Delete(dir, true); }
    }

    // ---- the README's example sweep and the dataset it names (issue 11 item 17) ----

    [Fact]
    public async Task Item17_the_READMEs_example_sweeps_name_the_dataset_the_READMEs_synth_command_writes()
    {
        // The README once pointed its sweep at a dataset file nothing wrote, and nothing checked before trials started.
        var readme = Repo.Read("README.md");
        var synth = DocCommandLinesOf("README.md").First(l => l.Args is ["data", "synth", ..]);
        var run = Regex.Match(readme, @"YOLOSWEEP_SHARED_DIR=(\S+) bin/yolosweep run (\S+\.yaml)");
        Assert.True(run.Success, "the README shows no `YOLOSWEEP_SHARED_DIR=… bin/yolosweep run SWEEP.yaml` line");
        var block = Regex.Match(readme, "```yaml\n(name: .*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, "the README shows no example sweep");
        var sweeps = new[] { ("README.md's example sweep", block.Groups[1].Value), (run.Groups[2].Value, Repo.Read(run.Groups[2].Value)) };

        var dir = Directory.CreateTempSubdirectory("yolosweep-readme-data-").FullName;
        try
        {
            var shared = Path.Combine(dir, run.Groups[1].Value);
            // before the README's synth command: refused at submission, naming the file it looked for
            foreach (var (name, yaml) in sweeps)
            {
                var e = Assert.Throws<SweepSpecException>(() => SweepSpecParser.Parse(yaml, name, new SubmitContext(shared)));
                Assert.Contains("is not found in the shared folder", Assert.Single(e.Errors));
            }
            var (code, stdout, stderr) = await YoloSweep.Testing.CliProcess.RunAsync(dir, Shrunk(synth.Args), timeout: TimeSpan.FromMinutes(2));
            Assert.True(code == 0, $"{synth} exited {code}\n{stdout}\n{stderr}");
            // after it: both sweeps pass the pre-flight (the dataset exists inside the shared folder and reads as one)
            foreach (var (name, yaml) in sweeps)
            {
                var e = Record.Exception(() => SweepSpecParser.Parse(yaml, name, new SubmitContext(shared)));
                Assert.True(e is null, $"{name} after `{synth}`: {((e as SweepSpecException)?.Errors is { } errs ? string.Join("; ", errs) : e?.Message)}");
            }
        }
        finally { Directory.Delete(dir, true); }

        // make demo: scripts/demo.sh writes the dataset configs/sweeps/demo.yaml names, into the shared folder it runs with
        var demo = Repo.Read("scripts/demo.sh");
        var data = SweepSpecParser.Parse(Repo.Read("configs/sweeps/demo.yaml"), "configs/sweeps/demo.yaml").Data!;
        Assert.EndsWith("/data.yaml", data);
        Assert.Contains($"data synth --out \"$SHARED/{data[..^"/data.yaml".Length]}\"", demo);
        Assert.Contains("YOLOSWEEP_SHARED_DIR=\"$SHARED\"", demo);
    }

    [GeneratedRegex(@"^```(\w*)\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline)]
    private static partial Regex FencedBlock();
}
