using System.Diagnostics;
using System.Text.RegularExpressions;
using YoloSweep.Contracts.Sweeps;

namespace YoloSweep.Contracts.Tests;

/// <summary>Issue 11: hundreds of generated bad sweep files through the real parser, each refused fast and located.</summary>
public class ParserFuzzTests
{
    static readonly Regex Located = new(@"^f\.yaml:\d+:\d+: \S");

    [Fact]
    public void Every_generated_bad_sweep_is_refused_within_a_second_and_50_MB_with_a_located_message()
    {
        var inputs = BadSweeps.All();
        Assert.True(inputs.Count >= 300, $"{inputs.Count} inputs");
        var problems = new List<string>();
        foreach (var (name, yaml) in inputs)
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            try
            {
                SweepSpecParser.Parse(yaml, "f.yaml");
                problems.Add($"accepted: {BadSweeps.Describe(name, yaml)}");
            }
            catch (SweepSpecException e)
            {
                if (e.Errors.Count == 0 || !Located.IsMatch(e.Errors[0])) problems.Add($"unlocated '{e.Errors.FirstOrDefault()}': {BadSweeps.Describe(name, yaml)}");
            }
            catch (Exception e)
            {
                problems.Add($"{e.GetType().Name} {e.Message}: {BadSweeps.Describe(name, yaml)}");
            }
            var mb = (GC.GetAllocatedBytesForCurrentThread() - allocated) / 1e6;
            if (watch.Elapsed > TimeSpan.FromSeconds(1) || mb > 50)
                problems.Add($"{watch.Elapsed.TotalSeconds:0.00} s, {mb:0} MB: {BadSweeps.Describe(name, yaml)}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void Random_edits_of_a_valid_sweep_never_crash_the_parser()
    {
        foreach (var yaml in BadSweeps.Mutations(400))
        {
            var watch = Stopwatch.StartNew();
            var e = Record.Exception(() => SweepSpecParser.Parse(yaml, "f.yaml"));
            Assert.True(e is null or SweepSpecException, $"{e?.GetType().Name} {e?.Message}: {BadSweeps.Describe("mutation", yaml)}");
            if (e is SweepSpecException s) Assert.Matches(Located, s.Errors[0]);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1), BadSweeps.Describe("slow mutation", yaml));
        }
    }
}
