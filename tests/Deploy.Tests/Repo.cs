namespace YoloSweep.Deploy.Tests;

/// <summary>The repository these tests read (they build nothing and reference no src project).</summary>
public static class Repo
{
    public static readonly string Root = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace(Path.DirectorySeparatorChar, '/');

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "YoloSweep.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no YoloSweep.sln above {AppContext.BaseDirectory}");
    }
}
