using YoloSweep.Grains.Queries;

namespace YoloSweep.Silo.Api;

/// <summary>A file of a trial's folder that the API serves: images and small text files, by name relative to the folder.</summary>
public sealed record ArtifactFile(string Name, string Kind, long Size, DateTimeOffset Modified);

/// <summary>A trial's folder: where it is (relative to the shared folder) and what it holds; or why it cannot be read.</summary>
public sealed record ArtifactListing(string? Folder, IReadOnlyList<ArtifactFile> Files, string? Note = null);

/// <summary>The last lines of a trial's log.</summary>
public sealed record LogTail(string File, long Size, IReadOnlyList<string> Lines, bool Truncated);

/// <summary>
/// Read-only access to the trial folders in the shared folder (checkpoints/SWEEP/TRIAL, the trainer hosts'
/// layout; <see cref="Trial.Artifacts"/> once the trial has reported it). Confined the way datasets are: the folder
/// must resolve, after '..' and symbolic links, inside the shared folder; files are listed without following links
/// (a link in a trial folder is never listed, so never served), and a file is served only by a name the listing gives.
/// Without a shared folder (a silo that does not mount it) there is nothing to list.
/// </summary>
public sealed class TrialFiles(string? sharedDir)
{
    public const int MaxFiles = 500;
    public const long MaxFileBytes = 64L << 20;
    const int MaxDepth = 3;

    static readonly Dictionary<string, (string Kind, string ContentType)> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        [".png"] = ("image", "image/png"),
        [".jpg"] = ("image", "image/jpeg"),
        [".jpeg"] = ("image", "image/jpeg"),
        [".txt"] = ("text", "text/plain; charset=utf-8"),
        [".log"] = ("text", "text/plain; charset=utf-8"),
        [".csv"] = ("text", "text/plain; charset=utf-8"),
        [".json"] = ("text", "text/plain; charset=utf-8"),
        [".yaml"] = ("text", "text/plain; charset=utf-8"),
        [".yml"] = ("text", "text/plain; charset=utf-8"),
    };

    public string? SharedDir { get; } = sharedDir is { Length: > 0 } ? Path.GetFullPath(sharedDir) : null;

    /// <summary>The trial's folder relative to the shared folder, as recorded or as the trainer hosts lay it out.</summary>
    public static string RelativeFolderOf(Trial t) => t.Artifacts is { Length: > 0 } a ? a : Path.Combine("checkpoints", t.Sweep, t.Id);

    /// <summary>The real path of the trial's folder, or why there is none to read.</summary>
    (string? Path, string? Why) Folder(Trial t)
    {
        if (SharedDir is null) return (null, "this server was started without the shared folder (--shared, YOLOSWEEP_SHARED_DIR)");
        var relative = RelativeFolderOf(t);
        if (Path.IsPathRooted(relative) || relative.Split('/', '\\').Contains("..")) return (null, "the trial's folder is not inside the shared folder");
        string real;
        try { real = Contracts.Sweeps.SharedFolder.ResolveAny(SharedDir, Path.Combine(SharedDir, relative), "the trial's folder"); }
        catch (ArgumentException) { return (null, "the trial's folder is not inside the shared folder"); }
        return Directory.Exists(real) ? (real, null) : (null, "the trial's folder does not exist (yet)");
    }

    public ArtifactListing List(Trial t)
    {
        var (folder, why) = Folder(t);
        if (folder is null) return new ArtifactListing(RelativeFolderOf(t), [], why);
        return new ArtifactListing(RelativeFolderOf(t), Enumerate(folder).Select(f => f.File).ToList());
    }

    IEnumerable<(ArtifactFile File, string Path)> Enumerate(string folder)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true, MaxRecursionDepth = MaxDepth, IgnoreInaccessible = true,
            // Links are skipped, files and folders alike: nothing outside the trial's folder is ever listed.
            AttributesToSkip = FileAttributes.ReparsePoint | FileAttributes.Hidden | FileAttributes.System,
            ReturnSpecialDirectories = false,
        };
        return new DirectoryInfo(folder).EnumerateFiles("*", options)
            .Where(f => Types.ContainsKey(f.Extension) && f.Length <= MaxFileBytes && f.LinkTarget is null)
            .Select(f => (new ArtifactFile(Path.GetRelativePath(folder, f.FullName).Replace('\\', '/'), Types[f.Extension].Kind, f.Length,
                new DateTimeOffset(f.LastWriteTimeUtc, TimeSpan.Zero)), f.FullName))
            .OrderBy(f => f.Item1.Kind == "image" ? 0 : 1).ThenBy(f => f.Item1.Name, StringComparer.Ordinal)
            .Take(MaxFiles);
    }

    /// <summary>The path and content type of the file the listing calls <paramref name="name"/>; null when it lists none.</summary>
    public (string Path, string ContentType)? Open(Trial t, string name)
    {
        var (folder, _) = Folder(t);
        if (folder is null || name.Length is 0 or > 1000) return null;
        foreach (var (file, path) in Enumerate(folder))
            if (file.Name == name) return (path, Types[Path.GetExtension(path)].ContentType);
        return null;
    }

    /// <summary>The last <paramref name="lines"/> lines of the trial's newest log (trial-*.log, the worker's; else train.log).</summary>
    public LogTail? Tail(Trial t, int lines)
    {
        var (folder, _) = Folder(t);
        if (folder is null) return null;
        var log = Enumerate(folder).Where(f => !f.File.Name.Contains('/') && f.File.Name.EndsWith(".log", StringComparison.Ordinal))
            .OrderBy(f => f.File.Name.StartsWith("trial-", StringComparison.Ordinal) ? 0 : f.File.Name == "train.log" ? 1 : 2)
            .ThenByDescending(f => f.File.Modified).FirstOrDefault();
        if (log.Path is null) return null;
        const int window = 1 << 20; // at most the last MiB is read
        using var stream = new FileStream(log.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var size = stream.Length;
        var start = Math.Max(0, size - window);
        stream.Seek(start, SeekOrigin.Begin);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        var all = text.Split('\n');
        if (start > 0) all = all[1..]; // a partial first line
        if (all.Length > 0 && all[^1].Length == 0) all = all[..^1];
        var tail = all.Length > lines ? all[^lines..] : all;
        return new LogTail(log.File.Name, size, tail.Select(l => l.TrimEnd('\r')).ToList(), start > 0 || all.Length > lines);
    }
}
