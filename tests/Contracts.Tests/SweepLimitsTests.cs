using System.Diagnostics;
using YoloSweep.Contracts.Sweeps;

namespace YoloSweep.Contracts.Tests;

/// <summary>Issue 11, items 1-3, 6, 8-10: what a sweep file may cost to read, refused before the work.</summary>
public class SweepLimitsTests
{
    static string Fails(string yaml, string file = "s.yaml")
    {
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecParser.Parse(yaml, file));
        return e.Errors[0];
    }

    static T Quick<T>(Func<T> f, double seconds = 1)
    {
        var w = Stopwatch.StartNew();
        var r = f();
        Assert.True(w.Elapsed.TotalSeconds < seconds, $"took {w.Elapsed.TotalSeconds:0.00} s");
        return r;
    }

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{a: ", "}")]
    [InlineData("- ", "")]
    public void Deep_nesting_is_refused_at_the_limit_without_overflowing_the_stack(string open, string close)
    {
        var deep = string.Concat(Enumerable.Repeat(open, 40_000)) + "1" + string.Concat(Enumerable.Repeat(close, 40_000));
        var error = Quick(() => Fails(deep));
        Assert.Matches(@"^s\.yaml:1:\d+: lists and mappings nested more than 64 deep, the limit$", error);
        // 64 levels are still read (and refused for what they mean, not for their depth)
        var ok = "name: x\nmatrix: { model: yolov5 }\nseeds: " + string.Concat(Enumerable.Repeat("[", 63)) + "1" + string.Concat(Enumerable.Repeat("]", 63));
        Assert.DoesNotContain("nested", Fails(ok));
    }

    [Fact]
    public void Unclosed_deep_nesting_under_a_key_is_refused_too()
    {
        var error = Quick(() => Fails("name: x\nmatrix: " + new string('[', 30_000)));
        Assert.Equal("s.yaml:2:72: lists and mappings nested more than 64 deep, the limit", error);
    }

    [Fact]
    public void An_alias_as_a_mapping_key_is_refused_at_once()
    {
        // The 465-byte bomb of the report: anchors nested 10 levels, the last one used as a key.
        var bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + string.Concat(Enumerable.Range(1, 9).Select(i =>
            $"{(char)('a' + i)}: &{(char)('a' + i)} [*{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}, *{(char)('a' + i - 1)}]\n")) + "? *j\n: 1\n";
        var error = Quick(() => Fails(bomb));
        Assert.Equal("s.yaml:11:3: an alias (*j) may not be a mapping key; write the key out", error);
    }

    [Fact]
    public void More_aliases_than_the_limit_are_refused_and_aliases_as_values_still_work()
    {
        var many = "name: x\nmatrix: { model: &m yolov5 }\nseeds: [" + string.Join(", ", Enumerable.Repeat("*s", 101)) + "]\nx: &s 1\n";
        Assert.Matches(@"^s\.yaml:3:\d+: more than 100 aliases \(\*name\), the limit$", Fails(many));
        var spec = SweepSpecParser.Parse("name: x\ndata: &d data/shapes.yaml\nmatrix: { model: &m yolov5 }\nseeds: &s [1, 2]\nresources: { gpus: 1 }\n");
        Assert.Equal([1, 2], spec.Seeds);
    }

    [Theory]
    [InlineData("name: x\ntrain:\n  ? [a, b]\n  : 1\nmatrix: { model: yolov5 }\n", "s.yaml:3:5: a mapping key must be a plain name")]
    [InlineData("name: x\nmatrix:\n  model: yolov5\n  knobs: { ? {a: 1} : [2] }\n", "s.yaml:4:14: a mapping key must be a plain name")]
    [InlineData("? [name]\n: x\n", "s.yaml:1:3: a mapping key must be a plain name")]
    public void Complex_keys_are_located_errors_not_crashes(string yaml, string expected) =>
        Assert.StartsWith(expected, Fails(yaml));

    [Fact]
    public void The_matrix_size_is_counted_before_anything_is_expanded()
    {
        // 3 models' worth of knobs with 100 values each: 10^6+ configurations × 5 seeds, refused in well under a second.
        var values = "[" + string.Join(", ", Enumerable.Range(1, 100)) + "]";
        var yaml = $"name: big\nmatrix:\n  model: [yolov5-c3faster]\n  scale: [n, s, m, l, x]\n  knobs:\n    pconv.n_div: {values}\n    pconv.mlp_ratio: {values}\nseeds: [0, 1, 2, 3, 4]\n";
        var error = Quick(() => Fails(yaml));
        Assert.Equal("s.yaml:3:3: the sweep expands to 250000 trials (models × scales × knob values × seeds), more than the limit of 200000", error);
        var spec = SweepSpecParser.Parse(yaml.Replace("[0, 1, 2, 3, 4]", "[0, 1, 2]"));
        Assert.Equal(150_000, SweepExpander.CountTrials(spec));
        Assert.Equal(150_000, SweepExpander.CountTrials(spec with { Seeds = [0, 1, 2] }));
        Assert.Throws<ArgumentException>(() => SweepExpander.Expand(spec with { Seeds = [0, 1, 2, 3, 4] }));
        Assert.Equal(2 * 3, SweepExpander.CountTrials(spec with { Strategy = new Strategy(StrategyKind.Random, 2) }));
    }

    [Fact]
    public void The_count_matches_the_expansion()
    {
        var spec = SweepSpecParser.Parse("name: c\nmatrix:\n  model: [yolov5, yolov5-c3faster, yolov10]\n  scale: [n, b]\n  knobs: { pconv.n_div: [2, 4, 8] }\nseeds: [0, 1]\n");
        Assert.Equal(SweepExpander.Expand(spec).Count, SweepExpander.CountTrials(spec));
    }

    [Fact]
    public void Long_lists_are_read_in_linear_time()
    {
        // 150,000 seeds (about 1 MB) against 15,000: the duplicate checks are hash sets, not list scans, so ten times
        // the seeds cost about ten times as long (a list scan: a hundred). A ratio, not a wall-clock bound, so a busy
        // machine does not fail it.
        static string Seeds(int n) => "name: s\nmatrix: { model: yolov5 }\nseeds: [" + string.Join(",", Enumerable.Range(0, n)) + "]\n";
        var (small, large) = (Seeds(15_000), Seeds(150_000));
        Assert.True(large.Length < SweepLimits.MaxBytes);
        SweepSpecParser.Parse(small); // warm-up (JIT)
        double Time(string yaml) => Enumerable.Range(0, 3).Min(_ => { var w = Stopwatch.StartNew(); SweepSpecParser.Parse(yaml); return w.Elapsed.TotalSeconds; });
        var (tSmall, tLarge) = (Time(small), Time(large));
        Assert.True(tLarge < 40 * tSmall, $"15,000 seeds {tSmall:0.000} s, 150,000 seeds {tLarge:0.000} s: not linear");
        Assert.Equal(150_000, SweepSpecParser.Parse(large).Seeds.Count);
    }

    [Fact]
    public void A_file_over_one_mib_is_refused_before_parsing()
    {
        var big = "name: x\n#" + new string('x', SweepLimits.MaxBytes) + "\n";
        Assert.Equal($"s.yaml:1:1: the sweep file is {big.Length} bytes, more than the limit of 1048576 bytes (1 MiB)", Quick(() => Fails(big)));
    }

    [Fact]
    public void A_second_document_is_an_error_naming_its_line()
    {
        Assert.Equal("s.yaml:4:1: a second YAML document ('---'): a sweep file holds exactly one",
            Fails("name: x\nmatrix: { model: yolov5 }\n...\n---\nname: y\n"));
        Assert.StartsWith("s.yaml:3:1: a second YAML document", Fails("name: x\nmatrix: { model: yolov5 }\n---\nname: y\n"));
    }

    [Fact]
    public void A_utf8_byte_order_mark_is_ignored()
    {
        var spec = SweepSpecParser.Parse("\uFEFFname: bom\nmatrix: { model: yolov5 }\n");
        Assert.Equal("bom", spec.Name);
    }

    [Theory]
    [InlineData("train: { simulate: { seconds_per_epoch: 1e308 } }", "s.yaml:3:41: 'seconds_per_epoch' must be in 0..86400, got 1e308")]
    [InlineData("retry: { backoff_seconds: 1e308 }", "s.yaml:3:27: 'backoff_seconds' must be in 0..86400, got 1e308")]
    [InlineData("retry: { backoff_seconds: .nan }", "s.yaml:3:27: 'backoff_seconds' must be a number, got '.nan'")]
    [InlineData("resources: { gpus: 65 }", "s.yaml:3:20: 'gpus' must be in 1..64, got 65")]
    [InlineData("train: { epochs: 100001 }", "s.yaml:3:18: 'epochs' must be in 1..100000, got 100001")]
    [InlineData("train: { batch: 0 }", "s.yaml:3:17: 'batch' must be in 1..100000, got 0")]
    [InlineData("train: { imgsz: 9999999999 }", "s.yaml:3:17: 'imgsz' must be an integer, got '9999999999'")]
    public void Numeric_settings_are_bounded_when_the_file_is_read(string line, string expected) =>
        Assert.Equal(expected, Fails($"name: x\nmatrix: {{ model: yolov5 }}\n{line}\n"));

    [Fact]
    public void A_file_full_of_errors_answers_with_the_first_fifty_and_a_count()
    {
        var yaml = "name: x\nmatrix: { model: yolov5 }\nseeds: [" + string.Join(",", Enumerable.Repeat("-1", 10_000)) + "]\n";
        var e = Assert.Throws<SweepSpecException>(() => SweepSpecParser.Parse(yaml, "s.yaml"));
        Assert.Equal(51, e.Errors.Count);
        Assert.Equal("s.yaml: … and 9950 more error(s) (the first 50 are shown)", e.Errors[^1]);
    }
}
