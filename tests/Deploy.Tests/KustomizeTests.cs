using System.Diagnostics;
using Xunit.Abstractions;
using static YoloSweep.Deploy.Tests.Yaml;

namespace YoloSweep.Deploy.Tests;

public class KustomizeTests(ITestOutputHelper output)
{
    public static TheoryData<string> Kustomizations => [.. Rendered.All];

    [Fact]
    public void The_overlays_the_docs_name_exist()
    {
        Assert.Equal(["base", "examples/submit-sweep", "overlays/dev", "overlays/gpu"], Rendered.All);
    }

    [Theory, MemberData(nameof(Kustomizations))]
    public void Every_kustomization_renders_with_unique_objects_in_the_namespace(string kustomization)
    {
        var objects = Rendered.Of(kustomization);
        Assert.NotEmpty(objects);
        var ids = objects.Select(o => $"{Str(o, "kind")}/{Str(o, "metadata", "name")}").ToList();
        Assert.Equal(ids.Distinct(), ids);
        foreach (var o in objects.Where(o => Str(o, "kind") != "Namespace"))
            Assert.True(Str(o, "metadata", "namespace") == "yolosweep", $"{kustomization}: {Str(o, "kind")}/{Str(o, "metadata", "name")} is not in namespace yolosweep");
    }

    [Theory, MemberData(nameof(Kustomizations))]
    public async Task Our_renderer_agrees_with_kubectl_kustomize_where_kubectl_is_installed(string kustomization)
    {
        var kubectl = FindOnPath("kubectl");
        if (kubectl == null)
        {
            output.WriteLine("kubectl is not installed: only our own renderer was used");
            return;
        }
        var start = new ProcessStartInfo(kubectl, ["kustomize", Path.Combine(Rendered.Copy, kustomization)])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"kubectl kustomize k8s/{kustomization} failed: {await stderr}");

        var theirs = Index(LoadDocuments(await stdout, "kubectl kustomize"));
        // kustomize folds long base64 values over several lines.
        foreach (var secret in theirs.Values.Where(o => Str(o, "kind") == "Secret"))
            foreach (var (key, value) in Map(secret, "data")!.ToList())
                Map(secret, "data")![key] = string.Concat(((string)value!).Where(c => !char.IsWhiteSpace(c)));
        var ours = Index(Rendered.Of(kustomization));
        Assert.Equal(theirs.Keys.Order(), ours.Keys.Order());
        foreach (var (id, expected) in theirs)
            Assert.True(Canonical(expected) == Canonical(ours[id]),
                $"k8s/{kustomization}: {id} differs from kubectl kustomize\n--- kubectl:\n{Canonical(expected)}\n--- ours:\n{Canonical(ours[id])}");
    }

    static Dictionary<string, Dictionary<string, object?>> Index(IEnumerable<Dictionary<string, object?>> objects) =>
        objects.ToDictionary(o => $"{Str(o, "kind")}/{Str(o, "metadata", "name")}");

    /// <summary>A text form for comparing: maps by sorted keys, lists of named items by name (merged lists keep
    /// kustomize's own order, which is not ours), every scalar as text.</summary>
    static string Canonical(object? node, string indent = "") => node switch
    {
        Dictionary<string, object?> m => string.Concat(m.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => $"\n{indent}{kv.Key}:{Canonical(kv.Value, indent + "  ")}")),
        List<object?> l => string.Concat(l.Select(item => (Key: SortKey(item), Text: Canonical(item, indent + "  ")))
            .OrderBy(x => x.Key, StringComparer.Ordinal).Select(x => $"\n{indent}-{x.Text}")),
        null => " null",
        _ => " " + node,
    };

    static string SortKey(object? item) =>
        item is Dictionary<string, object?> m && (Str(m, "name") ?? Str(m, "mountPath")) is { } key ? key : "";

    static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);
}
