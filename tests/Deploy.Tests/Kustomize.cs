using System.Text;
using static YoloSweep.Deploy.Tests.Yaml;

namespace YoloSweep.Deploy.Tests;

/// <summary>
/// The subset of kustomize that k8s/ uses, so that the manifests can be rendered and checked without a cluster
/// or a kustomize binary. A kustomization using anything else fails to render (keep k8s/ inside this subset,
/// or extend it here). Where `kubectl` is installed, KustomizeTests compares this renderer with
/// `kubectl kustomize` on every kustomization.
///
/// Supported, in kustomize's order of application:
/// - resources: files (multi-document YAML) and directories holding a kustomization.yaml;
/// - secretGenerator / configMapGenerator with envs, files and literals, and
///   generatorOptions.disableNameSuffixHash: true (required: no name hashes, so names are stable);
/// - patches: { path } or { patch } without target: strategic-merge patches naming their object by
///   kind and metadata.name; maps merge, null deletes a key, the lists below merge by their key,
///   every other list is replaced (as Kubernetes' own patch strategy does for those fields); a patch document with
///   `$patch: delete` at its top removes the object it names (no other $patch directive is supported);
/// - namespace (every namespaced object), images (name → newName, newTag), replicas (name → count).
/// </summary>
public static class Kustomize
{
    static readonly HashSet<string> SupportedFields =
    [
        "apiVersion", "kind", "namespace", "resources", "images", "replicas", "patches",
        "secretGenerator", "configMapGenerator", "generatorOptions",
    ];

    static readonly HashSet<string> ClusterScopedKinds =
    [
        "Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume", "StorageClass",
        "CustomResourceDefinition", "PriorityClass", "RuntimeClass",
    ];

    // Kubernetes' patchMergeKey of the list fields our patches touch; other lists are replaced whole.
    static readonly Dictionary<string, string> MergeKeys = new()
    {
        ["containers"] = "name", ["initContainers"] = "name", ["env"] = "name", ["volumes"] = "name",
        ["imagePullSecrets"] = "name", ["volumeMounts"] = "mountPath",
    };

    public static List<Dictionary<string, object?>> Render(string directory)
    {
        var file = Path.Combine(directory, "kustomization.yaml");
        if (!File.Exists(file)) throw new FileNotFoundException($"{directory}: no kustomization.yaml", file);
        var k = LoadFile(file);
        var where = Repo.Relative(file);

        var unsupported = k.Keys.Where(key => !SupportedFields.Contains(key)).ToList();
        if (unsupported.Count > 0)
            throw new NotSupportedException(
                $"{where}: {string.Join(", ", unsupported)} is outside the kustomize subset that " +
                "tests/Deploy.Tests/Kustomize.cs renders; use the supported fields or extend it");

        var objects = new List<Dictionary<string, object?>>();
        foreach (var entry in List(k, "resources").Cast<string>())
        {
            var path = Path.GetFullPath(Path.Combine(directory, entry));
            if (Directory.Exists(path)) objects.AddRange(Render(path));
            else if (File.Exists(path)) objects.AddRange(LoadDocuments(File.ReadAllText(path), Repo.Relative(path)));
            else throw new FileNotFoundException($"{where}: resource '{entry}' does not exist", path);
        }

        var generated = Maps(k, "secretGenerator").Select(g => Generate("Secret", g, directory, where))
            .Concat(Maps(k, "configMapGenerator").Select(g => Generate("ConfigMap", g, directory, where)))
            .ToList();
        if (generated.Count > 0 && Str(k, "generatorOptions", "disableNameSuffixHash") != "true")
            throw new NotSupportedException($"{where}: generators need generatorOptions.disableNameSuffixHash: true (name hashes are outside the subset)");
        objects.AddRange(generated);

        foreach (var p in Maps(k, "patches"))
        {
            if (p.ContainsKey("target")) throw new NotSupportedException($"{where}: patches with target are outside the subset");
            var text = Str(p, "patch") ?? File.ReadAllText(Path.Combine(directory, Str(p, "path")
                ?? throw new InvalidDataException($"{where}: a patch has neither path nor patch")));
            foreach (var patch in LoadDocuments(text, $"{where} patch {Str(p, "path")}"))
            {
                var kind = Str(patch, "kind");
                var name = Str(patch, "metadata", "name");
                var target = objects.SingleOrDefault(o => Str(o, "kind") == kind && Str(o, "metadata", "name") == name)
                    ?? throw new InvalidDataException($"{where}: patch {Str(p, "path")} names {kind}/{name}, which is not among the resources");
                if (patch.Remove("$patch", out var directive))
                {
                    if (directive as string != "delete")
                        throw new NotSupportedException($"{where}: patch {Str(p, "path")}: $patch: {directive} is outside the subset (only delete, at the top)");
                    objects.Remove(target);
                    continue;
                }
                MergePatch(target, patch, $"{kind}/{name}");
            }
        }

        if (Str(k, "namespace") is { } ns)
            foreach (var o in objects.Where(o => !ClusterScopedKinds.Contains(Str(o, "kind")!)))
                Metadata(o)["namespace"] = ns;

        foreach (var image in Maps(k, "images"))
            foreach (var container in objects.SelectMany(Containers))
                SetImage(container, image);

        foreach (var r in Maps(k, "replicas"))
        {
            var matches = objects.Where(o => Str(o, "metadata", "name") == Str(r, "name") &&
                                             Str(o, "kind") is "Deployment" or "StatefulSet" or "ReplicaSet").ToList();
            if (matches.Count == 0) throw new InvalidDataException($"{where}: replicas names {Str(r, "name")}, which is not a Deployment or StatefulSet here");
            foreach (var o in matches) ((Dictionary<string, object?>)o["spec"]!)["replicas"] = Str(r, "count");
        }
        return objects;
    }

    /// <summary>The containers (and init containers) of any workload or pod.</summary>
    public static IEnumerable<Dictionary<string, object?>> Containers(Dictionary<string, object?> o)
    {
        var podSpec = PodSpec(o);
        return podSpec == null ? [] : Maps(podSpec, "initContainers").Concat(Maps(podSpec, "containers"));
    }

    public static Dictionary<string, object?>? PodSpec(Dictionary<string, object?> o) => Str(o, "kind") switch
    {
        "Pod" => Map(o, "spec"),
        "CronJob" => Map(o, "spec", "jobTemplate", "spec", "template", "spec"),
        _ => Map(o, "spec", "template", "spec"),
    };

    static Dictionary<string, object?> Metadata(Dictionary<string, object?> o)
    {
        if (o.TryGetValue("metadata", out var m) && m is Dictionary<string, object?> map) return map;
        var created = new Dictionary<string, object?>();
        o["metadata"] = created;
        return created;
    }

    static Dictionary<string, object?> Generate(string kind, Dictionary<string, object?> g, string directory, string where)
    {
        if (Str(g, "behavior") is { } b && b != "create") throw new NotSupportedException($"{where}: generator behavior '{b}' is outside the subset");
        var data = new Dictionary<string, object?>();
        foreach (var envFile in List(g, "envs").Cast<string>())
            foreach (var raw in File.ReadAllLines(Path.Combine(directory, envFile)))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                var eq = line.IndexOf('=');
                if (eq <= 0) throw new InvalidDataException($"{where}: {envFile}: '{line}' is not KEY=VALUE");
                data[line[..eq]] = line[(eq + 1)..];
            }
        foreach (var literal in List(g, "literals").Cast<string>())
        {
            var eq = literal.IndexOf('=');
            data[literal[..eq]] = literal[(eq + 1)..];
        }
        foreach (var f in List(g, "files").Cast<string>())
        {
            var eq = f.IndexOf('=');
            var (key, path) = eq > 0 ? (f[..eq], f[(eq + 1)..]) : (Path.GetFileName(f), f);
            data[key] = File.ReadAllText(Path.Combine(directory, path));
        }
        var o = new Dictionary<string, object?>
        {
            ["apiVersion"] = "v1",
            ["kind"] = kind,
            ["metadata"] = new Dictionary<string, object?> { ["name"] = Str(g, "name") },
        };
        if (kind == "Secret")
        {
            o["type"] = Str(g, "type") ?? "Opaque";
            o["data"] = data.ToDictionary(kv => kv.Key, kv => (object?)System.Convert.ToBase64String(Encoding.UTF8.GetBytes((string)kv.Value!)));
        }
        else o["data"] = data;
        return o;
    }

    /// <summary>Kubernetes' strategic merge, restricted as described on the class.</summary>
    public static void MergePatch(Dictionary<string, object?> target, Dictionary<string, object?> patch, string where)
    {
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$")) throw new NotSupportedException($"{where}: patch directive {key} is outside the subset");
            if (value == null) { target.Remove(key); continue; }
            target.TryGetValue(key, out var existing);
            if (value is Dictionary<string, object?> pm && existing is Dictionary<string, object?> tm)
                MergePatch(tm, pm, $"{where}.{key}");
            else if (value is List<object?> pl && existing is List<object?> tl && MergeKeys.TryGetValue(key, out var mergeKey))
            {
                foreach (var item in pl.Cast<Dictionary<string, object?>>())
                {
                    var id = Str(item, mergeKey);
                    var match = tl.OfType<Dictionary<string, object?>>().FirstOrDefault(t => Str(t, mergeKey) == id);
                    if (match != null) MergePatch(match, item, $"{where}.{key}[{id}]");
                    else tl.Add(DeepClone(item));
                }
            }
            else target[key] = DeepClone(value);
        }
    }

    static void SetImage(Dictionary<string, object?> container, Dictionary<string, object?> rule)
    {
        var (name, tag) = SplitImage(Str(container, "image")!);
        if (name != Str(rule, "name")) return;
        name = Str(rule, "newName") ?? name;
        tag = Str(rule, "newTag") ?? tag;
        container["image"] = tag == null ? name : $"{name}:{tag}";
    }

    /// <summary>Image reference → (repository, tag or null); a registry's :port is not a tag.</summary>
    public static (string Name, string? Tag) SplitImage(string image)
    {
        var colon = image.LastIndexOf(':');
        return colon > image.LastIndexOf('/') ? (image[..colon], image[(colon + 1)..]) : (image, null);
    }
}
