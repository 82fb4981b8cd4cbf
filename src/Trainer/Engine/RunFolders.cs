namespace YoloSweep.Trainer.Engine;

/// <summary>Run folders named as ultralytics names them: PROJECT/NAME, then NAME2, NAME3, … for later runs
/// (increment_path), or PROJECT/NAME itself with exist_ok.</summary>
public static class RunFolders
{
    /// <summary>The folder for a new run (not created).</summary>
    public static string Next(string project, string name, bool existOk)
    {
        var first = Path.Combine(project, name);
        if (existOk || !Exists(first)) return first;
        for (var n = 2; ; n++)
        {
            var p = Path.Combine(project, name + n);
            if (!Exists(p)) return p;
        }
    }

    static bool Exists(string p) => Directory.Exists(p) || File.Exists(p);

    /// <summary>The runs NAME, NAME2, NAME3, … under PROJECT that have a checkpoint to resume (weights/last.json),
    /// newest checkpoint first.</summary>
    public static IReadOnlyList<string> Resumable(string project, string name)
    {
        if (!Directory.Exists(project)) return [];
        return Directory.EnumerateDirectories(project)
            .Where(d => Path.GetFileName(d) is var f && (f == name || (f.StartsWith(name, StringComparison.Ordinal) && int.TryParse(f[name.Length..], out var k) && k >= 2)))
            .Where(d => TrainingRun.ReadState(d) is not null)
            .OrderByDescending(d => File.GetLastWriteTimeUtc(Path.Combine(d, "weights", "last.json")))
            .ToList();
    }
}
