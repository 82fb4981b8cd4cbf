using System.Text.RegularExpressions;

namespace YoloSweep.Deploy.Tests;

/// <summary>String literals of the application's C# source (src/**/*.cs), read as text.</summary>
public static partial class AppSource
{
    /// <summary>Each literal "YOLOSWEEP_..." in src/, with the files it appears in.</summary>
    public static Dictionary<string, List<string>> EnvironmentVariables(string folder = "src") =>
        Files(folder)
            .SelectMany(f => EnvLiteral().Matches(File.ReadAllText(f)).Select(m => (Name: m.Groups[1].Value, File: Repo.Relative(f))))
            .GroupBy(x => x.Name)
            .ToDictionary(g => g.Key, g => g.Select(x => x.File).Distinct().Order().ToList());

    /// <summary>Whether "literal" (with its quotes) appears in a .cs file under folder.</summary>
    public static bool HasLiteral(string folder, string literal) =>
        Files(folder).Any(f => File.ReadAllText(f).Contains($"\"{literal}\"", StringComparison.Ordinal));

    static IEnumerable<string> Files(string folder)
    {
        var root = Repo.PathOf(folder);
        if (!Directory.Exists(root)) return [];
        return Directory.GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !Repo.Relative(f).Split('/').Any(part => part is "bin" or "obj"));
    }

    [GeneratedRegex("\"(YOLOSWEEP_[A-Z0-9_]+)\"")]
    private static partial Regex EnvLiteral();
}
