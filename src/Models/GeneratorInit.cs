using System.Text.Json;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models;

/// <summary>The fixtures' "generator init" (tests/data/fixtures/README.md): one torch.Generator seeded 20261122; for each
/// state_dict entry in order with lo/hi, w = rand(shape, g) · (hi − lo) + lo (float32, two libtorch ops); `kept` entries
/// take the listed values; num_batches_tracked := 1; other integer buffers stay. The fixture's ordered list must equal
/// our state_dict names and shapes — building the model right is part of the parity test.</summary>
public static class GeneratorInit
{
    public sealed record Entry(string Name, long[] Shape, double? Lo, double? Hi, string? Rule);

    public static (List<Entry> entries, Dictionary<string, float[]> kept, ulong seed) Read(string fixtureJson)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(fixtureJson));
        var root = doc.RootElement;
        var entries = root.GetProperty("state_dict").EnumerateArray().Select(e => new Entry(
            e.GetProperty("name").GetString()!,
            e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(),
            e.TryGetProperty("lo", out var lo) && lo.ValueKind == JsonValueKind.Number ? lo.GetDouble() : null,
            e.TryGetProperty("hi", out var hi) && hi.ValueKind == JsonValueKind.Number ? hi.GetDouble() : null,
            e.TryGetProperty("rule", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null)).ToList();
        var kept = new Dictionary<string, float[]>();
        if (root.TryGetProperty("kept", out var k))
            foreach (var e in k.EnumerateArray())
                kept[e.GetProperty("name").GetString()!] = e.GetProperty("value").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        var seed = root.TryGetProperty("generator_init", out var gi) && gi.TryGetProperty("seed", out var s) ? s.GetUInt64() : 20261122UL;
        return (entries, kept, seed);
    }

    /// <summary>Overwrites the model's state in place. A name or shape that differs is an error naming both.</summary>
    public static void Apply(nn.Module model, string fixtureJson)
    {
        var (entries, kept, seed) = Read(fixtureJson);
        var own = model.state_dict();
        for (var i = 0; i < Math.Max(own.Count, entries.Count); i++)
        {
            var o = i < own.Count ? own[i] : default;
            var e = i < entries.Count ? entries[i] : null;
            if (e == null || o.name == null || o.name != e.Name || !o.value.shape.SequenceEqual(e.Shape))
                throw new ArgumentException($"generator init: state_dict entry {i} differs: fixture has {(e == null ? "nothing" : $"'{e.Name}' [{string.Join(", ", e.Shape)}]")}, " +
                                            $"our model has {(o.name == null ? "nothing" : $"'{o.name}' [{string.Join(", ", o.value.shape)}]")} ({fixtureJson})");
        }
        using var g = new Generator(seed);
        using var _ = no_grad();
        for (var i = 0; i < entries.Count; i++)
        {
            var (name, t) = own[i];
            var e = entries[i];
            if (kept.TryGetValue(name, out var values))
            {
                using var v = tensor(values, t.shape);
                t.copy_(v);
            }
            else if (!t.dtype.IsFloatingPoint())
            {
                if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) t.fill_(1);
            }
            else if (e.Lo is { } lo && e.Hi is { } hi)
            {
                using var u = rand(t.shape, g);
                using var a = u * (hi - lo);
                using var w = a + lo;
                t.copy_(w);
            }
        }
    }
}
