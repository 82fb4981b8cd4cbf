using System.Text.RegularExpressions;
using static YoloSweep.Deploy.Tests.Yaml;

namespace YoloSweep.Deploy.Tests;

/// <summary>docs/kubernetes.md ("Run on Kubernetes") names only files, overlays, images, objects and CLI verbs
/// that exist: every command a user copies from it is one the repository supports.</summary>
public partial class DocsTests
{
    const string Page = "docs/kubernetes.md";

    /// <summary>The CLI's verbs and options the deployment contract fixes. tests/EndToEnd.Tests
    /// (CliCommandLineTests) parses every command line of the page with the real CLI.</summary>
    static readonly Dictionary<string, string[]> CliVerbs = new()
    {
        ["silo"] = [], ["trainer"] = ["--silo", "--devices"], ["submit"] = ["--silo", "--wait", "--format"],
        ["sweeps list"] = ["--format"], ["trials"] = ["--sweep", "--state", "--format"], ["leaderboard"] = ["--sweep", "--format"],
    };

    static readonly List<List<string>> Commands = ReadCommands();

    static List<List<string>> ReadCommands()
    {
        var text = Repo.Read(Page);
        var commands = new List<List<string>>();
        foreach (Match block in ShellBlock().Matches(text))
            foreach (var line in block.Groups[1].Value.Replace("\\\n", " ").Split('\n'))
                if (line.Trim() is { Length: > 0 } l && !l.StartsWith('#'))
                    commands.Add(Dockerfile.Tokens(l.TrimEnd('&').Trim()));
        return commands;
    }

    [Fact]
    public void The_page_is_the_run_on_kubernetes_section_with_commands()
    {
        Assert.StartsWith("## Run on Kubernetes\n", Repo.Read(Page));
        Assert.True(Commands.Count > 10);
    }

    [Fact]
    public void Every_repository_path_on_the_page_exists()
    {
        var missing = RepoPath().Matches(Repo.Read(Page)).Select(m => m.Value.TrimEnd('.', ','))
            .Where(p => !File.Exists(Repo.PathOf(p)) && !Directory.Exists(Repo.PathOf(p)))
            .Where(p => !File.Exists(Repo.PathOf(p + ".example"))) // a file the user writes (secrets.env), shown by its example
            .Distinct().ToList();
        Assert.True(missing.Count == 0, $"{Page} names {string.Join(", ", missing)}, which do not exist");
    }

    [Fact]
    public void Scripts_the_page_runs_are_executable_scripts()
    {
        foreach (var script in Commands.Select(c => c[0]).Where(c => c.EndsWith(".sh")).Distinct())
        {
            Assert.StartsWith("#!/usr/bin/env bash", Repo.Read(script));
            if (!OperatingSystem.IsWindows())
                Assert.True(File.GetUnixFileMode(Repo.PathOf(script)).HasFlag(UnixFileMode.UserExecute), $"{script} is not executable");
        }
    }

    [Fact]
    public void Kubectl_commands_name_kustomizations_and_objects_that_exist()
    {
        var cluster = Rendered.WithSubmitJob(Rendered.Gpu);
        string[] kinds = ["deployment", "daemonset", "statefulset", "service", "job", "secret", "configmap"];
        foreach (var c in Commands.Where(c => c[0] == "kubectl"))
        {
            var line = string.Join(' ', c);
            if (c.IndexOf("-k") is var k and >= 0)
                Assert.True(File.Exists(Repo.PathOf($"{c[k + 1]}/kustomization.yaml")), $"{line}: {c[k + 1]} is not a kustomization");
            if (c.IndexOf("-n") is var n and >= 0)
                Assert.Equal("yolosweep", c[n + 1]);
            foreach (var token in c)
            {
                var parts = token.Split('/');
                if (parts.Length == 2 && kinds.Contains(parts[0]))
                    Assert.True(Has(cluster, parts[0], parts[1]), $"{line}: no {token} in k8s/overlays/gpu + k8s/examples/submit-sweep");
            }
            for (var i = 0; i + 2 < c.Count; i++)
                if (c[i] is "delete" or "get" && kinds.Contains(c[i + 1]) && !c[i + 2].StartsWith('-'))
                    Assert.True(Has(cluster, c[i + 1], c[i + 2]), $"{line}: no {c[i + 1]}/{c[i + 2]}");
            if (c.IndexOf("-l") is var l and >= 0)
            {
                var (key, value) = (c[l + 1].Split('=')[0], c[l + 1].Split('=')[1]);
                Assert.True(cluster.Any(o => Str(o, "spec", "template", "metadata", "labels", key) == value), $"{line}: no pods labelled {c[l + 1]}");
            }
            if (c.FirstOrDefault(t => t.StartsWith("jsonpath={.data.")) is { } jsonpath)
            {
                var secret = c[c.IndexOf("secret") + 1];
                var key = jsonpath["jsonpath={.data.".Length..^1];
                Assert.True(ContainerEnvironment.DataOf(cluster, "Secret", secret)?.ContainsKey(key) == true, $"{line}: Secret/{secret} has no key {key}");
            }
        }
    }

    static bool Has(List<Dictionary<string, object?>> cluster, string kind, string name) =>
        cluster.Any(o => Str(o, "kind")!.Equals(kind, StringComparison.OrdinalIgnoreCase) && Str(o, "metadata", "name") == name);

    [Fact]
    public void Image_names_on_the_page_are_built_by_deploy()
    {
        var text = Repo.Read(Page);
        foreach (Match m in ImageName().Matches(text))
            Assert.True(File.Exists(Repo.PathOf($"deploy/{m.Groups[1].Value}/Dockerfile")), $"{Page}: image {m.Value} has no deploy/{m.Groups[1].Value}/Dockerfile");
        foreach (var c in Commands.Where(c => c[0] == "deploy/build-images.sh"))
            foreach (var image in c.Skip(1).Where(a => !a.StartsWith('-')))
                Assert.True(File.Exists(Repo.PathOf($"deploy/{image}/Dockerfile")), $"{string.Join(' ', c)}: no image {image}");
        // The dev overlay runs exactly the images the page builds for it.
        var dev = Rendered.Of(Rendered.Dev).SelectMany(Kustomize.Containers).Select(c => Str(c, "image")!)
            .Where(i => i.StartsWith("yolosweep/")).Distinct().Order();
        var loaded = Commands.Single(c => c[0] == "kind").Skip(3).Order();
        Assert.Equal(dev, loaded);
    }

    [Fact]
    public void CLI_commands_on_the_page_are_verbs_of_the_CLI()
    {
        var cli = Commands.Where(c => c[0] == "bin/yolosweep").ToList();
        Assert.NotEmpty(cli);
        foreach (var c in cli)
        {
            var verb = CliVerbs.Keys.FirstOrDefault(v => string.Join(' ', c.Skip(1)).StartsWith(v + " ") || string.Join(' ', c.Skip(1)) == v);
            Assert.True(verb != null, $"{string.Join(' ', c)}: not a verb of the yolosweep CLI contract ({string.Join(", ", CliVerbs.Keys)})");
            foreach (var option in c.Where(t => t.StartsWith("--")))
                Assert.Contains(option, CliVerbs[verb]);
        }
        foreach (var c in Commands.Where(c => c[0] == "make"))
            Assert.Matches($"(?m)^{c[1]}:", Repo.Read("Makefile"));

        // The leaderboard shown is the example sweep's.
        var sweep = LoadFile(Repo.PathOf("k8s/examples/submit-sweep/sweep.yaml"));
        var leaderboard = cli.Single(c => c[1] == "leaderboard");
        Assert.Equal(Str(sweep, "name"), leaderboard[leaderboard.IndexOf("--sweep") + 1]);
    }

    [GeneratedRegex(@"```(?:bash|sh)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();

    [GeneratedRegex(@"(?<![\w/.-])(?:k8s|deploy|docs|tests)/[\w./-]*[\w/]")]
    private static partial Regex RepoPath();

    [GeneratedRegex(@"(?<![\w.-])yolosweep/([a-z][a-z-]*)(?=:)")]
    private static partial Regex ImageName();
}
