using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace YoloSweep.Contracts.Catalog;

/// <summary>
/// The values a knob takes, as a model YAML states them in its <c>knobs:</c> block:
/// <c>{ default: 4, int: [1, 1024] }</c>, <c>{ default: 4, int: [2, 16], or: [0] }</c>, <c>{ default: 2, number: positive }</c>
/// or <c>{ default: M0, choices: [M0, M1] }</c>. Values are compared in canonical form (numbers parsed and printed the
/// one way, names trimmed and cased as declared), so " 2", "+2", "02" and "2.0" are one configuration, not four.
/// </summary>
public sealed record KnobRule
{
    public enum Kinds { Integer, PositiveNumber, Choice }

    public Kinds Kind { get; private init; }
    public long Min { get; private init; }
    public long Max { get; private init; }
    /// <summary>Integers allowed outside [Min, Max] (dsconv.bits 0 = plain convolution).</summary>
    public IReadOnlyList<long> Also { get; private init; } = [];
    public IReadOnlyList<string> Choices { get; private init; } = [];

    public static KnobRule Integer(long min, long max, params long[] also) => new() { Kind = Kinds.Integer, Min = min, Max = max, Also = also };
    public static KnobRule PositiveNumber() => new() { Kind = Kinds.PositiveNumber };
    public static KnobRule Choice(params string[] choices) => new() { Kind = Kinds.Choice, Choices = choices };

    /// <summary>What a valid value looks like, for error messages.</summary>
    public string Expected => Kind switch
    {
        Kinds.Integer when Also.Count > 0 => $"{string.Join(" or ", Also)} or an integer in {Min}..{Max}",
        Kinds.Integer => $"an integer in {Min}..{Max}",
        Kinds.PositiveNumber => "a positive number",
        _ => "one of " + string.Join(", ", Choices),
    };

    public bool IsValid(string value) => Canonical(value) is not null;

    /// <summary>The value in canonical form, or null when the rule refuses it.</summary>
    public string? Canonical(string value)
    {
        var v = value.Trim();
        switch (Kind)
        {
            case Kinds.Integer:
                if (!TryNumber(v, out var d) || d != Math.Floor(d) || Math.Abs(d) > 1e15) return null;
                var i = (long)d;
                return i >= Min && i <= Max || Also.Contains(i) ? i.ToString(CultureInfo.InvariantCulture) : null;
            case Kinds.PositiveNumber:
                return TryNumber(v, out var p) && p > 0 ? p.ToString("R", CultureInfo.InvariantCulture) : null;
            default:
                return Choices.FirstOrDefault(c => string.Equals(c, v, StringComparison.OrdinalIgnoreCase));
        }
    }

    static bool TryNumber(string v, out double d) =>
        double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out d) && double.IsFinite(d);

    /// <summary>
    /// Reads a model YAML's <c>knobs:</c> block: name → (canonical default, rule). Errors name the file, line and column.
    /// </summary>
    public static IReadOnlyList<(string Name, string Default, KnobRule Rule)> ParseBlock(YamlMappingNode block, string source)
    {
        var knobs = new List<(string, string, KnobRule)>();
        foreach (var (k, v) in block.Children)
        {
            string At(YamlNode n) => $"{source}:{n.Start.Line}:{n.Start.Column}";
            if (k is not YamlScalarNode { Value: { Length: > 0 } name })
                throw new FormatException($"{At(k)}: a knob name must be a plain name");
            if (v is not YamlMappingNode m)
                throw new FormatException($"{At(v)}: knob '{name}' must be a mapping like {{ default: 4, int: [1, 1024] }}");
            YamlNode? Get(string key) => m.Children.TryGetValue(new YamlScalarNode(key), out var n) ? n : null;
            long Long(YamlNode n) => n is YamlScalarNode { Value: { } s } && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)
                ? l : throw new FormatException($"{At(n)}: knob '{name}': expected an integer");
            IReadOnlyList<YamlNode> Seq(YamlNode n) => n is YamlSequenceNode s ? s.Children.ToList()
                : throw new FormatException($"{At(n)}: knob '{name}': expected a list");

            KnobRule rule;
            if (Get("int") is { } range)
            {
                var b = Seq(range);
                if (b.Count != 2) throw new FormatException($"{At(range)}: knob '{name}': int takes [min, max]");
                rule = Integer(Long(b[0]), Long(b[1]), Get("or") is { } also ? Seq(also).Select(Long).ToArray() : []);
            }
            else if (Get("number") is YamlScalarNode { Value: "positive" }) rule = PositiveNumber();
            else if (Get("choices") is { } choices)
                rule = Choice(Seq(choices).Select(c => (c as YamlScalarNode)?.Value ?? throw new FormatException($"{At(c)}: knob '{name}': a choice must be a name")).ToArray());
            else throw new FormatException($"{At(m)}: knob '{name}' states no values: give int: [min, max], number: positive or choices: [...]");

            var dflt = Get("default") as YamlScalarNode ?? throw new FormatException($"{At(m)}: knob '{name}' has no default");
            var canonical = rule.Canonical(dflt.Value ?? "")
                ?? throw new FormatException($"{At(dflt)}: knob '{name}': default '{dflt.Value}' is not {rule.Expected}");
            knobs.Add((name, canonical, rule));
        }
        return knobs;
    }
}
