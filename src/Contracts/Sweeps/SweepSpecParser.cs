using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;
using YoloSweep.Contracts.Catalog;
using YoloSweep.Contracts.Trials;

namespace YoloSweep.Contracts.Sweeps;

/// <summary>
/// Reads a sweep YAML into a <see cref="SweepSpec"/>. Works on the YAML node tree (not a typed deserializer) so every
/// error can name the line and column of the offending node; all errors are collected, not just the first.
/// </summary>
public sealed partial class SweepSpecParser
{
    /// <summary>Training settings passed through to the trainer as text (beyond the typed ones).</summary>
    public static readonly string[] ExtraTrainSettings =
    [
        "lr0", "lrf", "momentum", "weight_decay", "warmup_epochs", "warmup_momentum", "warmup_bias_lr", "cos_lr",
        "amp", "close_mosaic", "mosaic", "fliplr", "hsv_h", "hsv_s", "hsv_v", "nbs", "workers", "ema", "cache", "val",
    ];

    static readonly string[] TopKeys = ["name", "data", "train", "matrix", "seeds", "resources", "strategy", "priority", "retry"];
    static readonly string[] TypedTrainKeys = ["epochs", "imgsz", "batch", "optimizer", "patience", "simulate"];
    static readonly string[] Optimizers = ["SGD", "Adam", "AdamW", "auto"];

    readonly string _file;
    readonly SubmitContext? _context;
    readonly List<string> _errors = [];

    SweepSpecParser(string file, SubmitContext? context) => (_file, _context) = (file, context);

    /// <summary>Reads and validates a sweep; with a <paramref name="context"/>, also the pre-flight of a submission.</summary>
    public static SweepSpec Parse(string yaml, string file = "sweep.yaml", SubmitContext? context = null) => new SweepSpecParser(file, context).Run(yaml);

    public static SweepSpec ParseFile(string path)
    {
        if (!File.Exists(path)) throw new SweepSpecException([$"{path}: file not found"]);
        return Parse(File.ReadAllText(path), path);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    SweepSpec Run(string yaml)
    {
        // Editors on Windows save a BOM; through the API it would otherwise become part of the first key.
        if (yaml.StartsWith('\uFEFF')) yaml = yaml[1..];
        var bytes = System.Text.Encoding.UTF8.GetByteCount(yaml);
        if (bytes > SweepLimits.MaxBytes)
            throw new SweepSpecException([$"{_file}:1:1: the sweep file is {bytes} bytes, more than the limit of {SweepLimits.MaxBytes} bytes (1 MiB)"]);

        var stream = new YamlStream();
        var parser = new Parser(new StringReader(yaml));
        try
        {
            // The limits are checked on the parser's events, before the node tree (whose construction recurses once
            // per nesting level) is built: 40,000 '[' are refused here instead of overflowing the stack.
            CheckLimits(new Parser(new StringReader(yaml)));
            stream.Load(parser);
        }
        catch (SweepSpecException)
        {
            throw;
        }
        catch (YamlException e)
        {
            // YamlDotNet's messages start with "(Line: …)": keep only the reason after our own prefix.
            var reason = e.InnerException?.Message ?? e.Message;
            reason = Regex.Replace(reason, @"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", "");
            throw new SweepSpecException([$"{_file}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {reason}"]);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // Some malformed inputs make YamlDotNet's scanner throw without a position: use where the parser stopped.
            var mark = parser.Current?.End ?? Mark.Empty;
            throw new SweepSpecException([$"{_file}:{mark.Line}:{mark.Column}: invalid YAML near here (an unclosed bracket or quote?)"]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            var node = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
            throw new SweepSpecException([At(node, "a sweep file must be a mapping with at least name and matrix")]);
        }

        CheckKeys(root, TopKeys, "top-level key");
        var name = Scalar(root, "name", required: true);
        if (name is not null && !NamePattern().IsMatch(name.Value!))
            Error(name, $"sweep name '{name.Value}' must be 1-64 characters of a-z, 0-9, '.', '_', '-' (it names folders and URLs)");
        var data = Scalar(root, "data");
        var train = ParseTrain(ExpectMapping(root, "train"));
        if (data is not null && SharedFolder.CheckRelative(data.Value!) is { } outside) Error(data, outside);
        // Pre-flight: the dataset exists in the shared folder and reads as one (a simulated trial reads none).
        else if (data is not null && train.Simulate is null && _context?.SharedDir is { } shared && SharedFolder.CheckDataset(shared, data.Value!) is { } bad)
            Error(data, bad);
        else if (data is null && train.Simulate is null && _context?.SharedDir is not null)
            Error(root, "missing 'data' (the dataset YAML, relative to the shared folder): trials that train need one");
        var (models, scales, knobs) = ParseMatrix(root);
        var seeds = ParseSeeds(Child(root, "seeds"));
        var gpus = 1;
        if (ExpectMapping(root, "resources") is { } resources)
        {
            CheckKeys(resources, ["gpus"], "resources key");
            gpus = Int(resources, "gpus", 1, min: 1, max: 64);
            // Pending forever helps no one: refused while no registered host could ever run a trial (none yet: accepted).
            if (_context?.LargestHost is { } largest && gpus > largest.Devices)
                Error(Child(resources, "gpus"), $"resources.gpus {gpus}: the largest registered host ({largest.Name}) has {largest.Devices} device(s)");
        }
        foreach (var m in models.Select(ModelCatalog.Find))
            if (!m!.Imgsz.Allows(train.Imgsz) && train.Imgsz % 32 == 0)
                Error(ExpectMapping(root, "train") is { } tm ? Child(tm, "imgsz") ?? tm : root,
                    $"imgsz {train.Imgsz} does not suit {m.Name}: it needs {m.Imgsz.Text}{(m.Imgsz.Why is { } why ? $" ({why})" : "")}");
        var strategy = ParseStrategy(ExpectMapping(root, "strategy"));
        var priority = Int(root, "priority", 0, min: -1000, max: 1000);
        int maxAttempts = 3; double backoff = 10;
        if (ExpectMapping(root, "retry") is { } retry)
        {
            CheckKeys(retry, ["max_attempts", "backoff_seconds"], "retry key");
            maxAttempts = Int(retry, "max_attempts", 3, min: 1, max: 100);
            backoff = Number(retry, "backoff_seconds", 10, min: 0, max: SweepLimits.MaxSeconds);
        }

        if (_errors.Count == 0) CheckTrialCount(root, name!.Value!, data?.Value, train, models, scales, knobs, seeds, gpus, strategy);
        if (_dropped > 0) _errors.Add($"{_file}: … and {_dropped} more error(s) (the first {MaxErrors} are shown)");
        if (_errors.Count > 0) throw new SweepSpecException(_errors);
        return new SweepSpec
        {
            Name = name!.Value!, Data = data?.Value, Train = train, Models = models, Scales = scales, Knobs = knobs,
            Seeds = seeds, Gpus = gpus, Strategy = strategy, Priority = priority, MaxAttempts = maxAttempts, BackoffSeconds = backoff,
        };
    }

    /// <summary>
    /// One pass over the parser's events (no tree, no recursion): nesting depth, alias count, aliases and non-scalar
    /// values as mapping keys, and a single document. The first limit crossed ends the reading.
    /// </summary>
    void CheckLimits(IParser events)
    {
        // Per open collection: is it a mapping, and is its next node a key?
        var open = new Stack<(bool Mapping, bool ExpectKey)>();
        int aliases = 0, documents = 0;
        SweepSpecException Limit(ParsingEvent e, string message) => new([$"{_file}:{e.Start.Line}:{e.Start.Column}: {message}"]);
        while (events.MoveNext())
        {
            var e = events.Current!;
            switch (e)
            {
                case DocumentStart { IsImplicit: var implicitStart } when ++documents > 1:
                    throw Limit(e, $"a second YAML document{(implicitStart ? "" : " ('---')")}: a sweep file holds exactly one");
                case SequenceEnd or MappingEnd:
                    open.Pop();
                    continue;
                case not (YamlDotNet.Core.Events.Scalar or AnchorAlias or SequenceStart or MappingStart):
                    continue;
            }
            if (open.TryPop(out var parent))
            {
                if (parent is { Mapping: true, ExpectKey: true })
                {
                    if (e is AnchorAlias a) throw Limit(e, $"an alias (*{a.Value}) may not be a mapping key; write the key out");
                    if (e is not YamlDotNet.Core.Events.Scalar) throw Limit(e, "a mapping key must be a plain name, not a list or a mapping (a '?' complex key)");
                }
                open.Push(parent with { ExpectKey = parent.Mapping && !parent.ExpectKey });
            }
            if (e is AnchorAlias && ++aliases > SweepLimits.MaxAliases)
                throw Limit(e, $"more than {SweepLimits.MaxAliases} aliases (*name), the limit");
            if (e is SequenceStart or MappingStart)
            {
                if (open.Count >= SweepLimits.MaxDepth)
                    throw Limit(e, $"lists and mappings nested more than {SweepLimits.MaxDepth} deep, the limit");
                open.Push((e is MappingStart, true));
            }
        }
    }

    /// <summary>The matrix size, multiplied out (not expanded) and compared with the trial limit.</summary>
    void CheckTrialCount(YamlMappingNode root, string name, string? data, TrainSettings train, List<string> models, List<string> scales,
        Dictionary<string, IReadOnlyList<string>> knobs, List<int> seeds, int gpus, Strategy strategy)
    {
        var spec = new SweepSpec
        {
            Name = name, Data = data, Train = train, Models = models, Scales = scales, Knobs = knobs, Seeds = seeds, Gpus = gpus, Strategy = strategy,
        };
        var count = SweepExpander.CountTrials(spec);
        if (count > SweepLimits.MaxTrials)
            Error(Child(root, "matrix") ?? root,
                $"the sweep expands to {(count >= 1e15 ? "more than 10^15" : count.ToString("0", CultureInfo.InvariantCulture))} trials " +
                $"(models × scales × knob values × seeds), more than the limit of {SweepLimits.MaxTrials}");
    }

    TrainSettings ParseTrain(YamlMappingNode? node)
    {
        var t = new TrainSettings();
        if (node is null) return t;
        foreach (var (k, _) in node.Children)
        {
            var key = ((YamlScalarNode)k).Value!;
            if (!TypedTrainKeys.Contains(key) && !ExtraTrainSettings.Contains(key))
                Error(k, $"unknown train setting '{key}'; known: {string.Join(", ", TypedTrainKeys.Concat(ExtraTrainSettings))}");
        }
        var extra = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in ExtraTrainSettings)
            if (Scalar(node, key) is { } v) extra[key] = v.Value!;
        var optimizer = Scalar(node, "optimizer");
        if (optimizer is not null && !Optimizers.Contains(optimizer.Value))
            Error(optimizer, $"optimizer '{optimizer.Value}' is not one of {string.Join(", ", Optimizers)}");
        var imgsz = Int(node, "imgsz", t.Imgsz, min: 32, max: 8192);
        if (imgsz % 32 != 0) Error(Child(node, "imgsz"), $"imgsz {imgsz} must be a multiple of 32");
        SimulateSettings? simulate = null;
        if (ExpectMapping(node, "simulate") is { } sim)
        {
            CheckKeys(sim, ["seconds_per_epoch", "fail_at_epoch"], "simulate key");
            simulate = new SimulateSettings
            {
                SecondsPerEpoch = Number(sim, "seconds_per_epoch", 0.05, min: 0, max: SweepLimits.MaxSeconds),
                FailAtEpoch = Int(sim, "fail_at_epoch", 0, min: 0, max: 100_000),
            };
        }
        return t with
        {
            Epochs = Int(node, "epochs", t.Epochs, min: 1, max: 100_000),
            Imgsz = imgsz,
            Batch = Int(node, "batch", t.Batch, min: 1, max: 100_000),
            Optimizer = optimizer?.Value ?? t.Optimizer,
            Patience = Int(node, "patience", t.Patience, min: 0, max: 100_000),
            Extra = extra,
            Simulate = simulate,
        };
    }

    (List<string> models, List<string> scales, Dictionary<string, IReadOnlyList<string>> knobs) ParseMatrix(YamlMappingNode root)
    {
        var models = new List<string>();
        var scales = new List<string>();
        var known = ModelCatalog.Models.SelectMany(x => x.Scales).ToHashSet();
        var knobs = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var matrix = ExpectMapping(root, "matrix");
        if (matrix is null)
        {
            if (Child(root, "matrix") is null) Error(root, "missing 'matrix' (model, scale and optional knobs to sweep)");
            return (models, scales, knobs);
        }
        CheckKeys(matrix, ["model", "scale", "knobs"], "matrix key");

        var modelNodes = List(matrix, "model", required: true);
        foreach (var m in modelNodes)
        {
            if (ModelCatalog.Find(m.Value!) is null)
                Error(m, $"unknown model '{m.Value}'; known models: {string.Join(", ", ModelCatalog.Models.Select(x => x.Name))}");
            else if (!models.Contains(m.Value!)) models.Add(m.Value!); // at most the zoo's size
        }

        var scaleNodes = List(matrix, "scale", required: false);
        if (Child(matrix, "scale") is null) scales.Add("n");
        foreach (var s in scaleNodes)
        {
            if (!known.Contains(s.Value!))
                Error(s, $"bad scale '{s.Value}'; scales: {string.Join(", ", known)}");
            else if (models.Count > 0 && !models.Any(m => ModelCatalog.Find(m)!.Scales.Contains(s.Value!)))
                Error(s, $"scale '{s.Value}' is not available for any model of this sweep ({string.Join(", ", models)})");
            else if (!scales.Contains(s.Value!)) scales.Add(s.Value!);
        }

        if (ExpectMapping(matrix, "knobs") is { } knobMap)
        {
            foreach (var (k, _) in knobMap.Children)
            {
                var key = ((YamlScalarNode)k).Value!;
                var owners = models.Select(ModelCatalog.Find).Where(m => m!.Knob(key) is not null).ToList();
                if (owners.Count == 0)
                {
                    var available = models.SelectMany(m => ModelCatalog.Find(m)!.Knobs.Select(x => x.Name)).Distinct().ToList();
                    var where = ModelCatalog.Models.Where(m => m.Knob(key) is not null).Select(m => m.Name).ToList();
                    var hint = where.Count > 0 ? $"it belongs to {string.Join(", ", where)}" : "no model has it";
                    Error(k, $"knob '{key}' does not apply to any model of this sweep ({string.Join(", ", models)}): {hint}; " +
                             $"their knobs: {(available.Count > 0 ? string.Join(", ", available) : "none")}");
                    continue;
                }
                var info = owners[0]!.Knob(key)!;
                var values = new List<string>();
                var seen = new HashSet<string>(StringComparer.Ordinal); // linear: a list may be long
                foreach (var v in List(knobMap, key, required: true))
                {
                    // Canonical values, so " 2", "+2" and "2.0" are one configuration and one trial.
                    if (info.Canonical(v.Value!) is not { } canonical) Error(v, $"knob '{key}' value '{v.Value}' is not {info.Expected}");
                    else if (seen.Add(canonical)) values.Add(canonical);
                }
                knobs[key] = values;
            }
        }
        return (models, scales, knobs);
    }

    List<int> ParseSeeds(YamlNode? node)
    {
        if (node is null) return [0];
        var nodes = node switch
        {
            YamlScalarNode s => [s],
            YamlSequenceNode seq => seq.Children.Select(c => c as YamlScalarNode ?? ErrorNode(c, "a seed must be an integer")).OfType<YamlScalarNode>().ToList(),
            _ => ErrorList(node, "seeds must be an integer or a list of integers"),
        };
        if (node is YamlSequenceNode { Children.Count: 0 }) Error(node, "seeds is empty; give at least one seed");
        var seeds = new List<int>();
        var seen = new HashSet<int>(); // linear: a list of seeds may be long
        foreach (var s in nodes)
        {
            if (!int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) || v < 0)
                Error(s, $"seed '{s.Value}' must be a non-negative integer");
            else if (seen.Add(v)) seeds.Add(v);
        }
        return seeds;
    }

    Strategy ParseStrategy(YamlMappingNode? node)
    {
        if (node is null) return new Strategy(StrategyKind.Grid);
        CheckKeys(node, ["kind", "n", "seed", "min_epochs", "eta"], "strategy key");
        var kind = Scalar(node, "kind", required: true);
        switch (kind?.Value)
        {
            case "grid": return new Strategy(StrategyKind.Grid);
            case "random":
                if (Child(node, "n") is null) Error(kind, "strategy 'random' needs n (how many configurations to draw)");
                return new Strategy(StrategyKind.Random, Int(node, "n", 1, min: 1, max: 1_000_000), Int(node, "seed", 0, min: 0, max: int.MaxValue));
            case "asha":
                Error(kind, "strategy 'asha' (early stopping) is not supported yet; use grid or random");
                break;
            case null: break;
            default:
                Error(kind, $"unknown strategy '{kind.Value}'; use grid or random");
                break;
        }
        return new Strategy(StrategyKind.Grid);
    }

    // ---- node helpers: each reports a located error and returns a usable default ----

    string At(YamlNode? node, string message) =>
        node is null ? $"{_file}:1:1: {message}" : $"{_file}:{node.Start.Line}:{node.Start.Column}: {message}";

    /// <summary>Errors reported in one answer; a file of 100,000 bad seeds gets the first ones and a count.</summary>
    const int MaxErrors = 50;
    int _dropped;

    void Error(YamlNode? node, string message)
    {
        if (_errors.Count < MaxErrors) _errors.Add(At(node, message));
        else _dropped++;
    }

    YamlNode? ErrorNode(YamlNode node, string message) { Error(node, message); return null; }

    List<YamlScalarNode> ErrorList(YamlNode node, string message) { Error(node, message); return []; }

    static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    void CheckKeys(YamlMappingNode map, string[] known, string what)
    {
        foreach (var (k, _) in map.Children)
        {
            if (k is not YamlScalarNode { Value: { } key }) { Error(k, $"{what} must be a plain name"); continue; }
            if (!known.Contains(key)) Error(k, $"unknown {what} '{key}'; expected one of: {string.Join(", ", known)}");
        }
    }

    YamlMappingNode? ExpectMapping(YamlMappingNode map, string key)
    {
        var node = Child(map, key);
        if (node is null || node is YamlMappingNode) return node as YamlMappingNode;
        Error(node, $"'{key}' must be a mapping (key: value lines)");
        return null;
    }

    YamlScalarNode? Scalar(YamlMappingNode map, string key, bool required = false)
    {
        var node = Child(map, key);
        if (node is null)
        {
            if (required) Error(map, $"missing '{key}'");
            return null;
        }
        if (node is YamlScalarNode { Value: { Length: > 0 } } s) return s;
        Error(node, $"'{key}' must be a single value");
        return null;
    }

    List<YamlScalarNode> List(YamlMappingNode map, string key, bool required)
    {
        var node = Child(map, key);
        if (node is null)
        {
            if (required) Error(map, $"missing '{key}'");
            return [];
        }
        if (node is YamlScalarNode { Value: { Length: > 0 } } single) return [single];
        if (node is not YamlSequenceNode seq) { Error(node, $"'{key}' must be a value or a list of values"); return []; }
        if (seq.Children.Count == 0) Error(seq, $"'{key}' is empty; give at least one value");
        var items = new List<YamlScalarNode>();
        foreach (var c in seq.Children)
        {
            if (c is YamlScalarNode { Value: { Length: > 0 } } s) items.Add(s);
            else Error(c, $"items of '{key}' must be single values");
        }
        return items;
    }

    int Int(YamlMappingNode map, string key, int dflt, int min, int max)
    {
        var s = Scalar(map, key);
        if (s is null) return dflt;
        if (!int.TryParse(s.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
        {
            Error(s, $"'{key}' must be an integer, got '{s.Value}'");
            return dflt;
        }
        if (v < min || v > max)
        {
            Error(s, v < 0 && min >= 0 ? $"'{key}' must not be negative, got {v}" : $"'{key}' must be in {min}..{max}, got {v}");
            return dflt;
        }
        return v;
    }

    double Number(YamlMappingNode map, string key, double dflt, double min, double max)
    {
        var s = Scalar(map, key);
        if (s is null) return dflt;
        if (!double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
        {
            Error(s, $"'{key}' must be a number, got '{s.Value}'");
            return dflt;
        }
        if (v < min || v > max) { Error(s, $"'{key}' must be in {min}..{max}, got {s.Value}"); return dflt; }
        return v;
    }
}
