using System.Globalization;

namespace YoloSweep.Contracts.Tests;

/// <summary>
/// Generated bad sweep files (issue 11): each is refused by the parser, with a located message. Deterministic (one
/// seed), so a failure names an input that can be reproduced. Shared with the Silo tests, which send them over HTTP.
/// </summary>
public static class BadSweeps
{
    const string Head = "name: fuzz\nmatrix: { model: [yolov5, yolov5-c3faster] }\n";

    public static IReadOnlyList<(string Name, string Yaml)> All(int seed = 11)
    {
        var rng = new Random(seed);
        var list = new List<(string, string)>();
        void Add(string name, string yaml) => list.Add((name, yaml));

        // Deep nesting, flow and block style, closed or not, at the root or under a key.
        string[] openers = ["[", "{a: ", "- ", "{", "[{a: "];
        string[] closers = ["]", "}", "", "}", "}]"];
        int[] depths = [65, 66, 100, 1_000, 10_000, 20_000, 40_000];
        for (var i = 0; i < 60; i++)
        {
            var o = rng.Next(openers.Length);
            var depth = depths[rng.Next(depths.Length)];
            var closed = rng.Next(2) == 0;
            var body = string.Concat(Enumerable.Repeat(openers[o], depth)) + "1" + (closed ? string.Concat(Enumerable.Repeat(closers[o], depth)) : "");
            Add($"nesting {openers[o].Trim()} x{depth}{(closed ? "" : " unclosed")}", rng.Next(2) == 0 ? body : Head + "seeds: " + body + "\n");
        }

        // Alias bombs: anchors nested levels deep with a fan-out, the last used as a mapping key; and too many aliases.
        for (var i = 0; i < 30; i++)
        {
            int levels = rng.Next(2, 13), fanout = rng.Next(2, 10);
            var text = "a0: &a0 [x, y]\n";
            for (var l = 1; l < levels; l++)
                text += $"a{l}: &a{l} [{string.Join(", ", Enumerable.Repeat($"*a{l - 1}", fanout))}]\n";
            Add($"alias key {levels}x{fanout}", text + (rng.Next(2) == 0 ? $"? *a{levels - 1}\n: 1\n" : $"k: {{ *a{levels - 1} : 1 }}\n"));
        }
        for (var i = 0; i < 10; i++)
            Add($"aliases x{101 + i * 37}", Head + "x: &s 1\nseeds: [" + string.Join(", ", Enumerable.Repeat("*s", 101 + i * 37)) + "]\n");

        // Complex keys wherever a mapping is read.
        string[] complexKeys = ["? [a, b]\n  : 1", "? {a: 1}\n  : 1", "? &k [x]\n  : 1", "? - a\n    - b\n  : 1", "[a, b]: 1", "{a: 1}: 2"];
        string[] where = ["top", "train", "knobs", "matrix", "resources", "retry"];
        foreach (var w in where)
            foreach (var k in complexKeys)
            {
                var yaml = w switch
                {
                    "top" => Head + k.Replace("\n  ", "\n") + "\n",
                    "knobs" => "name: fuzz\nmatrix:\n  model: yolov5-c3faster\n  knobs:\n    " + k.Replace("\n  ", "\n    ") + "\n",
                    "matrix" => "name: fuzz\nmatrix:\n  model: yolov5\n  " + k + "\n",
                    _ => Head + w + ":\n  " + k + "\n",
                };
                Add($"complex key in {w}: {k.Split('\n')[0]}", yaml);
            }

        // Matrices over the trial limit, multiplied out before anything is expanded.
        for (var i = 0; i < 20; i++)
        {
            int a = rng.Next(60, 400), b = rng.Next(60, 400), seeds = rng.Next(1, 20);
            if ((long)a * b * seeds * 2 <= 200_000) seeds = 200_000 / (a * b) + 1;
            static string Range(int n) => "[" + string.Join(", ", Enumerable.Range(1, n)) + "]";
            Add($"matrix {a}x{b}x{seeds}", $"name: fuzz\nmatrix:\n  model: yolov5-c3faster\n  scale: [n, s]\n  knobs: {{ pconv.n_div: {Range(a)}, pconv.mlp_ratio: {Range(b)} }}\nseeds: {Range(seeds)}\n");
        }

        // Numeric settings: values no field accepts.
        string[] values = ["1e308", "NaN", ".nan", ".inf", "-.inf", "99999999999999999999", "abc", "[1]", "{a: 1}", "1e400"];
        (string Field, Func<string, string> Yaml)[] fields =
        [
            ("epochs", v => $"train: {{ epochs: {v} }}"), ("imgsz", v => $"train: {{ imgsz: {v} }}"), ("batch", v => $"train: {{ batch: {v} }}"),
            ("patience", v => $"train: {{ patience: {v} }}"), ("gpus", v => $"resources: {{ gpus: {v} }}"), ("priority", v => $"priority: {v}"),
            ("max_attempts", v => $"retry: {{ max_attempts: {v} }}"), ("backoff_seconds", v => $"retry: {{ backoff_seconds: {v} }}"),
            ("seconds_per_epoch", v => $"train: {{ simulate: {{ seconds_per_epoch: {v} }} }}"), ("fail_at_epoch", v => $"train: {{ simulate: {{ fail_at_epoch: {v} }} }}"),
            ("strategy n", v => $"strategy: {{ kind: random, n: {v} }}"), ("seeds", v => $"seeds: {v}"),
        ];
        foreach (var (field, yaml) in fields)
            foreach (var v in values)
                if (!(field == "seeds" && v == "[1]"))
                    Add($"{field}: {v}", Head + yaml(v) + "\n");

        // More than one document.
        string[] seconds = ["---\nname: other\n", "...\n---\nx: 1\n", "--- 1\n", "---\n- a\n", "---\n"];
        for (var i = 0; i < 10; i++)
            Add($"second document {i}", (i % 2 == 0 ? "--- \n" : "") + Head + seconds[i % seconds.Length]);

        // Dataset paths that leave the shared folder, as written.
        string[] paths = ["/etc/shadow", "../../../../etc/hostname", "data/../../x.yaml", "~/x.yaml", "/dev/zero", "..", "a/b/../../../c",
                          "\\\\server\\share\\x", "/proc/self/environ", "./../x"];
        foreach (var p in paths) Add($"data {p}", Head + $"data: '{p}'\n");

        // Not a sweep at all.
        string[] roots = ["- a\n- b\n", "'just a string'\n", "123\n", "null\n", "~\n", "[1, 2]\n", "{}\n", "&a [*a]\n", "! tag\n", "name: [unclosed\n"];
        foreach (var r in roots) Add($"root {r.Trim()}", r);

        return list;
    }

    /// <summary>Random edits of a valid sweep: some stay valid; none may crash the parser or the Silo.</summary>
    public static IReadOnlyList<string> Mutations(int count, int seed = 7)
    {
        const string valid = "name: mut\ntrain: { epochs: 2, simulate: { seconds_per_epoch: 0 } }\nmatrix:\n  model: [yolov5, yolov5-c3faster]\n  knobs: { pconv.n_div: [2, 4] }\nseeds: [0, 1]\n";
        string[] inserts = ["[", "]", "{", "}", ":", "? ", "&a ", "*a", "\t", "\"", "'", "\0", "\uFEFF", "- ", "---\n", "!!binary ", "%YAML 1.1\n", "|", ">", "#", ",", "\r", "\u2028", "\\"];
        var rng = new Random(seed);
        var list = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var text = valid;
            for (var e = rng.Next(1, 4); e > 0; e--)
            {
                var at = rng.Next(text.Length);
                text = rng.Next(3) == 0 ? text.Remove(at, Math.Min(rng.Next(1, 6), text.Length - at)) : text.Insert(at, inserts[rng.Next(inserts.Length)]);
            }
            list.Add(text);
        }
        return list;
    }

    public static string Describe(string name, string yaml) =>
        $"{name}: {(yaml.Length > 120 ? yaml[..120] + "…" : yaml).Replace("\n", "\\n")} ({yaml.Length.ToString(CultureInfo.InvariantCulture)} chars)";
}
