using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YoloSweep.Contracts.Catalog;

namespace YoloSweep.Models;

/// <summary>A model configuration error; the message names the file, line and column where it applies.</summary>
public sealed class ModelConfigException(string message) : Exception(message);

/// <summary>A symbol in a layer's args that the builder resolves (nc, anchors, or an unquoted name like nearest).</summary>
public sealed record Symbol(string Name)
{
    public override string ToString() => Name;
}

/// <summary>One [from, repeats, module, args] row of a model YAML, with where it was written.</summary>
public sealed record LayerRow(int[] From, bool FromIsList, int Repeats, string Module, List<object?> Args, int Line, int Column, string Text);

/// <summary>A scale: depth and width multiples and (ultralytics) max_channels.</summary>
public sealed record Scale(double Depth, double Width, long MaxChannels);

/// <summary>An ultralytics-format model YAML (backbone/head rows; depth_multiple/width_multiple or a scales block;
/// optional anchors for yolov5-style heads), parsed with YamlDotNet so every row keeps its line and column. Our own
/// extensions: <c>knobs:</c> (the knobs the model declares, with defaults and valid values), <c>catalog:</c> (read by the
/// model catalogue, ignored here) and <c>scale_overrides:</c> (per scale, rows
/// replaced by layer index — yolov10's n/s/m/b/l/x differ in a few rows).</summary>
public sealed class ModelSpec
{
    public required string Source { get; init; }
    public long Nc { get; set; }
    public Dictionary<string, Scale> Scales { get; } = new();
    public double? DepthMultiple { get; init; }
    public double? WidthMultiple { get; init; }
    public double[][]? Anchors { get; init; }
    public List<LayerRow> Backbone { get; } = [];
    public List<LayerRow> Head { get; } = [];
    /// <summary>The knobs the model declares: name → default (canonical).</summary>
    public Dictionary<string, string> Knobs { get; } = new();
    /// <summary>The values each knob takes (from the same <c>knobs:</c> block).</summary>
    public Dictionary<string, KnobRule> KnobRules { get; } = new();
    public Dictionary<string, Dictionary<int, LayerRow>> ScaleOverrides { get; } = new();
    public string? Activation { get; init; }

    public IReadOnlyList<LayerRow> RowsFor(string? scale)
    {
        var rows = Backbone.Concat(Head).ToList();
        if (scale != null && ScaleOverrides.TryGetValue(scale, out var ov))
            foreach (var (i, r) in ov) rows[i] = r;
        return rows;
    }

    public static ModelSpec LoadFile(string path)
    {
        if (!File.Exists(path)) throw new ModelConfigException($"{path}: model YAML not found");
        return Parse(File.ReadAllText(path), path);
    }

    public static ModelSpec Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ModelConfigException($"{source}:{e.Start.Line}:{e.Start.Column}: malformed YAML: {Inner(e)}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ModelConfigException($"{source}:1:1: expected a mapping with backbone and head");
        var lines = text.Split('\n');

        YamlNode? Get(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var n) ? n : null;
        double? Num(string key) => Get(key) is YamlScalarNode s ? ParseDouble(s, source) : null;

        double[][]? anchors = null;
        if (Get("anchors") is YamlSequenceNode an)
            anchors = an.Children.Select(l => ((YamlSequenceNode)l).Children.Select(v => ParseDouble((YamlScalarNode)v, source)).ToArray()).ToArray();
        var spec = new ModelSpec
        {
            Source = source,
            DepthMultiple = Num("depth_multiple"),
            WidthMultiple = Num("width_multiple"),
            Anchors = anchors,
            Activation = (Get("activation") as YamlScalarNode)?.Value,
        };
        spec.Nc = (long)(Num("nc") ?? 80);
        if (Get("scales") is YamlMappingNode sc)
            foreach (var (k, v) in sc.Children)
            {
                var vals = ((YamlSequenceNode)v).Children.Select(x => ParseDouble((YamlScalarNode)x, source)).ToArray();
                spec.Scales[((YamlScalarNode)k).Value!] = new Scale(vals[0], vals[1], vals.Length > 2 ? (long)vals[2] : long.MaxValue);
            }
        if (Get("knobs") is YamlMappingNode kn)
        {
            IReadOnlyList<(string Name, string Default, KnobRule Rule)> knobs;
            try { knobs = KnobRule.ParseBlock(kn, source); }
            catch (FormatException e) { throw new ModelConfigException(e.Message); }
            foreach (var (name, dflt, rule) in knobs) (spec.Knobs[name], spec.KnobRules[name]) = (dflt, rule);
        }
        foreach (var (section, list) in new[] { ("backbone", spec.Backbone), ("head", spec.Head) })
        {
            if (Get(section) is not YamlSequenceNode seq)
                throw new ModelConfigException($"{source}:{root.Start.Line}:{root.Start.Column}: missing '{section}' list");
            foreach (var row in seq.Children) list.Add(ParseRow(row, source, lines));
        }
        if (Get("scale_overrides") is YamlMappingNode so)
            foreach (var (k, v) in so.Children)
            {
                var d = new Dictionary<int, LayerRow>();
                foreach (var (ik, iv) in ((YamlMappingNode)v).Children)
                    d[int.Parse(((YamlScalarNode)ik).Value!, CultureInfo.InvariantCulture)] = ParseRow(iv, source, lines);
                spec.ScaleOverrides[((YamlScalarNode)k).Value!] = d;
            }
        return spec;
    }

    static string Inner(Exception e)
    {
        var m = e.Message;
        var idx = m.IndexOf("): ", StringComparison.Ordinal);
        return idx >= 0 ? m[(idx + 3)..] : m;
    }

    static LayerRow ParseRow(YamlNode node, string source, string[] lines)
    {
        var (line, col) = ((int)node.Start.Line, (int)node.Start.Column);
        var text = line - 1 < lines.Length ? lines[line - 1].Trim().TrimEnd('\r') : "";
        if (node is not YamlSequenceNode s || s.Children.Count != 4)
            throw new ModelConfigException($"{source}:{line}:{col}: a layer must be [from, repeats, module, args]: {text}");
        int[] from;
        bool isList;
        if (s.Children[0] is YamlSequenceNode fl)
        {
            from = fl.Children.Select(x => (int)ParseDouble((YamlScalarNode)x, source)).ToArray();
            isList = true;
        }
        else
        {
            from = [(int)ParseDouble((YamlScalarNode)s.Children[0], source)];
            isList = false;
        }
        var repeats = (int)ParseDouble((YamlScalarNode)s.Children[1], source);
        var module = ((YamlScalarNode)s.Children[2]).Value!;
        var args = s.Children[3] is YamlSequenceNode a ? a.Children.Select(ParseValue).ToList()
            : throw new ModelConfigException($"{source}:{line}:{col}: layer args must be a list: {text}");
        return new LayerRow(from, isList, repeats, module, args, line, col, text);
    }

    static double ParseDouble(YamlScalarNode s, string source) =>
        double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new ModelConfigException($"{source}:{s.Start.Line}:{s.Start.Column}: expected a number, got '{s.Value}'");

    /// <summary>A YAML value as yolov5's eval would see it: int, float, bool, None, a quoted string, a symbol, a list.</summary>
    static object? ParseValue(YamlNode n)
    {
        if (n is YamlSequenceNode seq) return seq.Children.Select(ParseValue).ToList();
        if (n is not YamlScalarNode s) return null;
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted) return v;
        if (long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l;
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        return v switch
        {
            "True" or "true" => true,
            "False" or "false" => false,
            "None" or "null" or "~" or "" => null,
            _ => new Symbol(v),
        };
    }
}
