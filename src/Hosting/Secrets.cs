namespace YoloSweep.Hosting;

/// <summary>
/// Bearer tokens and passwords come from the environment or from files, never from the command line (where `ps`
/// shows them to every user of the machine). NAME holds the value, or NAME_FILE the path of a file holding it (the
/// container convention: a Kubernetes secret mounted as a file). Values are trimmed on both sides.
/// </summary>
public static class Secrets
{
    /// <summary>Shorter tokens are refused: a token is a password to the whole cluster.</summary>
    public const int MinLength = 16;

    public static string? Read(string name)
    {
        if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value) return value.Trim();
        return Environment.GetEnvironmentVariable(name + "_FILE") is { Length: > 0 } file ? FromFile(file, name + "_FILE") : null;
    }

    public static string FromFile(string path, string what)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"{what}: cannot read {path}: {e.Message}");
        }
    }

    /// <summary>Throws (the caller's exception type) unless <paramref name="value"/> is a usable token.</summary>
    public static void Check(string what, string? value, Func<string, Exception> error)
    {
        if (string.IsNullOrWhiteSpace(value)) throw error($"the {what} is required");
        if (value.Trim().Length < MinLength)
            throw error($"the {what} is {value.Trim().Length} characters; use at least {MinLength} (e.g. `openssl rand -hex 16`)");
    }
}
