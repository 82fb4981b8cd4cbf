using static YoloSweep.Deploy.Tests.Yaml;

namespace YoloSweep.Deploy.Tests;

/// <summary>A container of k8s/ that runs one of our programs, and the kustomizations it is rendered in.</summary>
public sealed record Workload(string Program, string Kind, string Name, string Container, string[] RenderedIn)
{
    public static readonly Workload Silo = new("silo", "Deployment", "silo", "silo", Rendered.Deployable);
    public static readonly Workload Trainer = new("trainer host", "DaemonSet", "trainer", "trainer", Rendered.Deployable);
    public static readonly Workload Cli = new("CLI (submit Job)", "Job", "submit-sweep", "submit", [Rendered.SubmitJob]);
    public static readonly Workload[] All = [Silo, Trainer, Cli];

    public override string ToString() => $"{Kind}/{Name} ({Program})";

    /// <summary>The objects of a cluster where this workload runs, for the given overlay (the Job's Secret
    /// comes from the overlay applied before it).</summary>
    public List<Dictionary<string, object?>> Cluster(string overlay) => this == Cli ? Rendered.WithSubmitJob(overlay) : Rendered.Of(overlay);

    public Dictionary<string, object?> Object(List<Dictionary<string, object?>> cluster) => Rendered.Find(cluster, Kind, Name);

    public Dictionary<string, object?> ContainerIn(List<Dictionary<string, object?>> cluster) => Rendered.Container(Object(cluster), Container);
}

/// <summary>How a container's environment is filled: by env entries and envFrom ConfigMaps/Secrets.</summary>
public static class ContainerEnvironment
{
    /// <summary>Variable → its value where the manifests say it (literal or ConfigMap), else where it comes from.
    /// A reference to a missing object or key is added to errors.</summary>
    public static Dictionary<string, string> Of(Dictionary<string, object?> container, List<Dictionary<string, object?>> cluster, List<string> errors)
    {
        var result = new Dictionary<string, string>();
        foreach (var from in Maps(container, "envFrom"))
        {
            foreach (var (refKind, kind) in new[] { ("configMapRef", "ConfigMap"), ("secretRef", "Secret") })
            {
                if (Str(from, refKind, "name") is not { } name) continue;
                var data = DataOf(cluster, kind, name);
                if (data == null) { errors.Add($"envFrom names {kind}/{name}, which does not exist"); continue; }
                foreach (var (key, value) in data) result[key] = kind == "ConfigMap" ? (string)value! : $"{kind}/{name}";
            }
        }
        foreach (var e in Maps(container, "env"))
        {
            var name = Str(e, "name")!;
            if (Str(e, "value") is { } literal) { result[name] = literal; continue; }
            var resolved = false;
            foreach (var (refKind, kind) in new[] { ("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret") })
            {
                if (Map(e, "valueFrom", refKind) is not { } r) continue;
                var data = DataOf(cluster, kind, Str(r, "name")!);
                if (data == null || !data.ContainsKey(Str(r, "key")!))
                    errors.Add($"{name} reads key '{Str(r, "key")}' of {kind}/{Str(r, "name")}, which {(data == null ? "does not exist" : "has no such key")}");
                else result[name] = kind == "ConfigMap" ? (string)data[Str(r, "key")!]! : $"{kind}/{Str(r, "name")}:{Str(r, "key")}";
                resolved = true;
            }
            if (!resolved && Map(e, "valueFrom", "fieldRef") != null) { result[name] = "fieldRef"; resolved = true; }
            if (!resolved) errors.Add($"{name} has neither a value nor a reference this test understands");
        }
        return result;
    }

    public static Dictionary<string, object?>? DataOf(List<Dictionary<string, object?>> cluster, string kind, string name) =>
        cluster.Where(o => Str(o, "kind") == kind && Str(o, "metadata", "name") == name)
            .Select(o => Map(o, "data") ?? []).FirstOrDefault();

    /// <summary>A Secret's value, decoded (generated Secrets hold base64 data).</summary>
    public static string SecretValue(List<Dictionary<string, object?>> cluster, string name, string key) =>
        System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)DataOf(cluster, "Secret", name)![key]!));
}
