using static YoloSweep.Deploy.Tests.Yaml;

namespace YoloSweep.Deploy.Tests;

/// <summary>
/// Every kustomization under k8s/, rendered from a copy of k8s/ in which each overlay's uncommitted secrets.env
/// is made from its secrets.env.example, as docs/kubernetes.md tells users to do.
/// </summary>
public static class Rendered
{
    /// <summary>The kustomizations a user applies: rendered and checked against the application.</summary>
    public const string Dev = "overlays/dev", Gpu = "overlays/gpu", SubmitJob = "examples/submit-sweep";
    public static readonly string[] Deployable = [Dev, Gpu];

    public static readonly string Copy = MakeCopy();

    /// <summary>Every folder under k8s/ holding a kustomization.yaml, relative to k8s/.</summary>
    public static IReadOnlyList<string> All { get; } =
        Directory.GetFiles(Repo.PathOf("k8s"), "kustomization.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Repo.PathOf("k8s"), Path.GetDirectoryName(f)!).Replace('\\', '/'))
            .Order().ToList();

    static readonly Dictionary<string, List<Dictionary<string, object?>>> Cache = [];

    public static List<Dictionary<string, object?>> Of(string kustomization)
    {
        lock (Cache)
        {
            if (!Cache.TryGetValue(kustomization, out var objects))
                Cache[kustomization] = objects = Kustomize.Render(Path.Combine(Copy, kustomization));
            return objects;
        }
    }

    /// <summary>An overlay together with the example Job, as a cluster holds them after both are applied.</summary>
    public static List<Dictionary<string, object?>> WithSubmitJob(string overlay) => [.. Of(overlay), .. Of(SubmitJob)];

    public static Dictionary<string, object?> Find(IEnumerable<Dictionary<string, object?>> objects, string kind, string name) =>
        objects.SingleOrDefault(o => Str(o, "kind") == kind && Str(o, "metadata", "name") == name)
        ?? throw new Xunit.Sdk.XunitException($"no {kind}/{name} in the rendered manifests");

    public static Dictionary<string, object?> Container(Dictionary<string, object?> workload, string name) =>
        Kustomize.Containers(workload).SingleOrDefault(c => Str(c, "name") == name)
        ?? throw new Xunit.Sdk.XunitException($"{Str(workload, "kind")}/{Str(workload, "metadata", "name")} has no container '{name}'");

    static string MakeCopy()
    {
        var copy = Path.Combine(Path.GetTempPath(), $"yolosweep-k8s-{Environment.ProcessId}", "k8s");
        if (Directory.Exists(copy)) Directory.Delete(copy, recursive: true);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(Path.GetDirectoryName(copy)!, recursive: true); } catch (IOException) { }
        };
        var source = Repo.PathOf("k8s");
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        foreach (var example in Directory.GetFiles(copy, "secrets.env.example", SearchOption.AllDirectories))
        {
            var env = Path.Combine(Path.GetDirectoryName(example)!, "secrets.env");
            if (!File.Exists(env)) File.Copy(example, env);
        }
        return copy;
    }
}
