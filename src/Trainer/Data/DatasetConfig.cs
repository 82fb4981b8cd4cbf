using YamlDotNet.RepresentationModel;

namespace YoloSweep.Trainer.Data;

/// <summary>An ultralytics dataset YAML: path (root), train/val (directories of images, or .txt lists of image
/// paths, relative to path), names (list or index→name map), optional nc.</summary>
public sealed record DatasetConfig(string YamlPath, string Root, IReadOnlyList<string> Train, IReadOnlyList<string> Val, IReadOnlyList<string> Names)
{
    public int Nc => Names.Count;

    public static DatasetConfig Load(string yamlPath)
    {
        var full = Path.GetFullPath(yamlPath);
        if (!File.Exists(full)) throw new DatasetException($"dataset YAML not found: {full}");
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(full);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new DatasetException($"{full}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new DatasetException($"{full}: expected a mapping with path/train/val/names");
        string? Scalar(string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var n) && n is YamlScalarNode s ? s.Value : null;
        var yamlDir = Path.GetDirectoryName(full)!;
        var root = Scalar("path") is { Length: > 0 } p ? (Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(yamlDir, p))) : yamlDir;
        IReadOnlyList<string> Paths(string key)
        {
            if (!map.Children.TryGetValue(new YamlScalarNode(key), out var n))
                throw new DatasetException($"{full}: missing '{key}' (a directory of images or a .txt list, relative to path '{root}')");
            var items = n switch
            {
                YamlScalarNode s => [s.Value ?? ""],
                YamlSequenceNode seq => seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList(),
                _ => throw new DatasetException($"{full}: '{key}' must be a path or a list of paths"),
            };
            return items.Select(i => Path.IsPathRooted(i) ? i : Path.GetFullPath(Path.Combine(root, i))).ToList();
        }
        var names = new List<string>();
        if (!map.Children.TryGetValue(new YamlScalarNode("names"), out var nn))
            throw new DatasetException($"{full}: missing 'names' (class names, a list or an index: name map)");
        switch (nn)
        {
            case YamlSequenceNode seq: names.AddRange(seq.Children.Select(c => ((YamlScalarNode)c).Value ?? "")); break;
            case YamlMappingNode m:
                var pairs = m.Children.Select(kv => (int.Parse(((YamlScalarNode)kv.Key).Value!), ((YamlScalarNode)kv.Value).Value ?? "")).OrderBy(x => x.Item1).ToList();
                for (var i = 0; i < pairs.Count; i++)
                    if (pairs[i].Item1 != i) throw new DatasetException($"{full}: names keys must be 0..{pairs.Count - 1}, got {pairs[i].Item1}");
                names.AddRange(pairs.Select(x => x.Item2));
                break;
            default: throw new DatasetException($"{full}: 'names' must be a list or a map");
        }
        if (Scalar("nc") is { } ncs && int.TryParse(ncs, out var nc) && nc != names.Count)
            throw new DatasetException($"{full}: nc {nc} does not match {names.Count} names");
        return new DatasetConfig(full, root, Paths("train"), Paths("val"), names);
    }
}

/// <summary>A dataset problem the user must fix (bad path, bad YAML); the message names the file.</summary>
public sealed class DatasetException(string message) : Exception(message);
