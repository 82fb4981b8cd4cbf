using YamlDotNet.RepresentationModel;

namespace YoloSweep.Deploy.Tests;

/// <summary>
/// YAML as plain trees: maps are Dictionary&lt;string, object?&gt; (key order kept), sequences List&lt;object?&gt;,
/// scalars strings, and an unquoted null/~/empty scalar is null (strategic-merge patches delete with it).
/// Kubernetes manifests need no more than that: every scalar is compared as the text it is written as.
/// </summary>
public static class Yaml
{
    public static List<Dictionary<string, object?>> LoadDocuments(string text, string source)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlDotNet.Core.YamlException e) { throw new InvalidDataException($"{source}: {e.Message}", e); }
        var docs = new List<Dictionary<string, object?>>();
        foreach (var doc in stream.Documents)
        {
            var value = Convert(doc.RootNode);
            if (value == null) continue; // an empty document (a trailing ---)
            docs.Add(value as Dictionary<string, object?>
                     ?? throw new InvalidDataException($"{source}: a document is not a mapping"));
        }
        return docs;
    }

    public static Dictionary<string, object?> LoadFile(string path) =>
        LoadDocuments(File.ReadAllText(path), path).Single();

    static object? Convert(YamlNode node) => node switch
    {
        YamlMappingNode m => m.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => Convert(kv.Value)),
        YamlSequenceNode s => s.Children.Select(Convert).ToList(),
        YamlScalarNode sc when sc.Style == YamlDotNet.Core.ScalarStyle.Plain && sc.Value is null or "" or "~" or "null" => null,
        YamlScalarNode sc => sc.Value,
        _ => throw new InvalidDataException($"unsupported YAML node {node.NodeType} at {node.Start}"),
    };

    public static object? DeepClone(object? value) => value switch
    {
        Dictionary<string, object?> m => m.ToDictionary(kv => kv.Key, kv => DeepClone(kv.Value)),
        List<object?> l => l.Select(DeepClone).ToList(),
        _ => value,
    };

    // Path helpers for reading manifests: Get(obj, "spec", "template", "spec") → map, or null when absent.
    public static object? Get(object? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not Dictionary<string, object?> m || !m.TryGetValue(key, out node)) return null;
        }
        return node;
    }

    public static Dictionary<string, object?>? Map(object? node, params string[] path) => Get(node, path) as Dictionary<string, object?>;

    public static List<object?> List(object? node, params string[] path) => Get(node, path) as List<object?> ?? [];

    public static IEnumerable<Dictionary<string, object?>> Maps(object? node, params string[] path) =>
        List(node, path).OfType<Dictionary<string, object?>>();

    public static string? Str(object? node, params string[] path) => Get(node, path) as string;
}
