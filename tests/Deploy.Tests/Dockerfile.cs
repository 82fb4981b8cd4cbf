using System.Text.RegularExpressions;

namespace YoloSweep.Deploy.Tests;

/// <summary>A Dockerfile read as stages of (instruction, arguments), continuation lines joined, comments dropped.</summary>
public sealed record Dockerfile(string Path, List<Dockerfile.Stage> Stages)
{
    public sealed record Stage(string From, string? Name, List<(string Instruction, string Arguments)> Lines)
    {
        public IEnumerable<string> Runs => Lines.Where(l => l.Instruction == "RUN").Select(l => l.Arguments);
        public string? Last(string instruction) => Lines.LastOrDefault(l => l.Instruction == instruction).Arguments;

        /// <summary>The packages of every `apt-get install` in this stage's RUNs.</summary>
        public List<string> AptPackages() => Commands("apt-get").Where(t => t.Contains("install"))
            .SelectMany(t => t.Skip(t.IndexOf("install") + 1).Where(a => !a.StartsWith('-'))).ToList();

        /// <summary>Each shell command (split at &amp;&amp;, ; and ||) of this stage's RUNs, starting with `program`.</summary>
        public List<List<string>> Commands(string program) => Runs.SelectMany(SplitCommands).Select(Tokens)
            .Select(t => t.SkipWhile(x => Regex.IsMatch(x, "^[A-Z_]+=")).ToList()) // leading VAR=value assignments
            .Where(t => t.Count > 0 && t[0] == program).ToList();
    }

    public Stage Final => Stages[^1];

    public Stage Named(string name) => Stages.SingleOrDefault(s => s.Name == name)
        ?? throw new Xunit.Sdk.XunitException($"{Path}: no stage named '{name}'");

    public static Dockerfile Load(string relative)
    {
        var logical = new List<string>();
        var current = "";
        foreach (var raw in File.ReadAllLines(Repo.PathOf(relative)))
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith('#')) continue; // comments, also inside continued instructions
            if (line.EndsWith('\\')) { current += line[..^1] + " "; continue; }
            current += line;
            if (current.Trim().Length > 0) logical.Add(current.Trim());
            current = "";
        }
        var stages = new List<Stage>();
        foreach (var line in logical)
        {
            var space = line.IndexOf(' ');
            var (instruction, args) = (line[..space].ToUpperInvariant(), line[(space + 1)..].Trim());
            if (instruction == "FROM")
            {
                var m = Regex.Match(args, @"^(\S+)(?:\s+AS\s+(\S+))?$", RegexOptions.IgnoreCase);
                stages.Add(new Stage(m.Groups[1].Value, m.Groups[2].Success ? m.Groups[2].Value : null, []));
            }
            else if (stages.Count > 0) stages[^1].Lines.Add((instruction, args));
        }
        return new Dockerfile(relative, stages);
    }

    static IEnumerable<string> SplitCommands(string shell) => Regex.Split(shell, @"&&|\|\||;");

    /// <summary>Shell words; quotes removed (enough for the commands compared here).</summary>
    public static List<string> Tokens(string command) =>
        Regex.Matches(command, "(?:\"[^\"]*\"|'[^']*'|[^\\s\"'])+").Select(m => m.Value.Replace("\"", "").Replace("'", "")).ToList();
}

/// <summary>What `make native` does, read from the Makefile.</summary>
public sealed record MakeNative(
    List<string> AptPackages, List<string> FontPackages, string Source, string Build, Dictionary<string, string> Definitions,
    Dictionary<string, string> ConditionalDefinitions, string BuildCommandDirectory)
{
    public static MakeNative Load()
    {
        var text = Repo.Read("Makefile").Replace("\\\n", " ");
        var variables = Regex.Matches(text, @"^([A-Z_]+)[ \t]*[:?]?=[ \t]*(.*)$", RegexOptions.Multiline)
            .GroupBy(m => m.Groups[1].Value).ToDictionary(g => g.Key, g => g.First().Groups[2].Value.Trim());
        var apt = variables["APT_PACKAGES"].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var fonts = variables.TryGetValue("FONT_PACKAGES", out var f) ? f.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList() : [];

        var recipe = Regex.Match(text, @"^native:.*\n((?:\t.*\n?)+)", RegexOptions.Multiline);
        Assert.True(recipe.Success, "Makefile: no `native:` target");
        var configure = Regex.Match(recipe.Groups[1].Value, @"cmake (-S .*?)(?:>|$)", RegexOptions.Multiline).Groups[1].Value;
        var conditional = new Dictionary<string, string>();
        foreach (Match m in Regex.Matches(configure, @"\$\(if \$\([A-Z_]+\),-D([A-Z_]+)=(\$\([A-Z_]+\))\)"))
            conditional[m.Groups[1].Value] = m.Groups[2].Value;
        configure = Regex.Replace(configure, @"\$\(if [^)]*\)[^)]*\)\)", "");
        var (source, build, definitions) = ParseConfigure(Dockerfile.Tokens(configure));
        var buildCommand = Regex.Match(recipe.Groups[1].Value, @"cmake --build (\S+)");
        Assert.True(buildCommand.Success, "Makefile: the native recipe has no `cmake --build`");
        // $(NATIVE_DIR) is $(ROOT)/build/native: resolved per image against its WORKDIR.
        definitions = definitions.ToDictionary(kv => kv.Key, kv => kv.Value.Replace("$(NATIVE_DIR)", variables["NATIVE_DIR"]));
        return new MakeNative(apt, fonts, source, build, definitions, conditional, buildCommand.Groups[1].Value);
    }

    /// <summary>cmake -S SRC -B BUILD -DK=V ... → (SRC, BUILD, {K: V}).</summary>
    public static (string Source, string Build, Dictionary<string, string> Definitions) ParseConfigure(List<string> tokens)
    {
        string? source = null, build = null;
        var definitions = new Dictionary<string, string>();
        for (var i = 0; i < tokens.Count; i++)
        {
            if (tokens[i] == "-S") source = tokens[++i];
            else if (tokens[i] == "-B") build = tokens[++i];
            else if (tokens[i].StartsWith("-D"))
            {
                var kv = tokens[i][2..].Split('=', 2);
                definitions[kv[0]] = kv[1];
            }
            else if (tokens[i] != "cmake") throw new InvalidDataException($"cmake argument '{tokens[i]}' is not understood by this test");
        }
        return (source ?? throw new InvalidDataException("cmake without -S"), build ?? throw new InvalidDataException("cmake without -B"), definitions);
    }
}
