using YamlDotNet.RepresentationModel;

namespace YoloSweep.Contracts.Sweeps;

/// <summary>
/// Dataset paths are confined to the shared folder: a sweep's <c>data:</c> (and the folders its dataset YAML names)
/// must lie inside it after <c>..</c> and symbolic links are resolved. Refusals say only "not inside the shared folder"
/// or "not found in the shared folder", the same whether a file outside exists or not, and nothing about its content.
/// </summary>
public static class SharedFolder
{
    const int MaxLinks = 40;

    /// <summary>Null when <paramref name="data"/> is a relative path that stays inside a folder, else why not (for the parser).</summary>
    public static string? CheckRelative(string data)
    {
        if (data.Length > 1024 || data.Contains('\0')) return "'data' must be a path of at most 1024 characters";
        if (Path.IsPathRooted(data) || data.StartsWith('~') || data.StartsWith('\\') || data is [_, ':', ..]) // Windows roots too
            return $"'data' {data} must be relative to the shared folder (an absolute path would be read from outside it)";
        var depth = 0;
        foreach (var part in data.Split('/', '\\'))
        {
            depth += part switch { "" or "." => 0, ".." => -1, _ => 1 };
            if (depth < 0) return $"'data' {data} leads out of the shared folder ('..')";
        }
        return null;
    }

    /// <summary>
    /// The real path of <paramref name="relative"/> (or of an absolute path that points inside) under
    /// <paramref name="sharedDir"/>, following links one component at a time and never looking outside the folder.
    /// </summary>
    /// <exception cref="ArgumentException">not inside the shared folder, or not found in it.</exception>
    public static string Resolve(string sharedDir, string relative, string what = "data")
    {
        var root = Real(Path.GetFullPath(sharedDir));
        var pending = new List<string>(Split(relative));
        var current = Path.IsPathRooted(relative) ? "/" : root;
        var links = 0;
        while (pending.Count > 0)
        {
            var part = pending[0];
            pending.RemoveAt(0);
            if (part is "" or ".") continue;
            var next = part == ".." ? Path.GetDirectoryName(current) ?? "/" : Path.Join(current, part);
            // Only the folder and the way down to it are looked at; a step anywhere else is refused unexamined.
            if (!Inside(root, next) && !IsAncestor(next, root))
                throw new ArgumentException($"{what} '{relative}' is not inside the shared folder");
            if (part != ".." && new FileInfo(next).LinkTarget is { } target)
            {
                if (++links > MaxLinks) throw new ArgumentException($"{what} '{relative}': more than {MaxLinks} symbolic links");
                pending.InsertRange(0, Split(target));
                if (Path.IsPathRooted(target)) current = "/";
                continue;
            }
            current = next;
        }
        if (!Inside(root, current) || current == root) throw new ArgumentException($"{what} '{relative}' is not inside the shared folder");
        if (!File.Exists(current)) throw new ArgumentException($"{what} '{relative}' is not found in the shared folder ({sharedDir})");
        return current;
    }

    /// <summary>A folder inside the shared one (a dataset's image folder): same rules, a directory or a .txt list.</summary>
    public static string ResolveAny(string sharedDir, string path, string what)
    {
        var root = Real(Path.GetFullPath(sharedDir));
        var real = Real(Path.GetFullPath(path));
        // A path that does not exist stays unresolved and is judged as written (the trainer then reports it missing).
        if (!Inside(root, real)) throw new ArgumentException($"{what} '{path}' is not inside the shared folder");
        return real;
    }

    /// <summary>
    /// Pre-flight of a dataset YAML inside the shared folder: it parses and names train, val and names. Null when
    /// it does, else what is wrong (messages name the file as the sweep gave it).
    /// </summary>
    public static string? CheckDataset(string sharedDir, string data)
    {
        string real;
        try { real = Resolve(sharedDir, data); }
        catch (ArgumentException e) { return e.Message; }
        var info = new FileInfo(real);
        if (info.Length > SweepLimits.MaxBytes) return $"data '{data}' is {info.Length} bytes; a dataset YAML is at most {SweepLimits.MaxBytes}";
        try
        {
            var stream = new YamlStream();
            using (var reader = new StreamReader(real)) stream.Load(reader);
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode map)
                return $"data '{data}' must be a dataset YAML mapping with train, val and names";
            var missing = new[] { "train", "val", "names" }.Where(k => !map.Children.ContainsKey(new YamlScalarNode(k))).ToList();
            return missing.Count > 0 ? $"data '{data}' lacks {string.Join(", ", missing)} (an ultralytics dataset YAML: path, train, val, names)" : null;
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            return $"data '{data}':{e.Start.Line}:{e.Start.Column}: invalid YAML";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"data '{data}' cannot be read: {e.GetType().Name}";
        }
    }

    static IEnumerable<string> Split(string path) => path.Split('/', '\\');

    static bool Inside(string root, string path) => path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    static bool IsAncestor(string path, string of) => path == "/" || of.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>The real path (links and '..' resolved by the kernel), or the path itself when it does not exist.</summary>
    static string Real(string path)
    {
        var p = realpath(path, IntPtr.Zero);
        if (p == IntPtr.Zero) return path;
        try { return System.Runtime.InteropServices.Marshal.PtrToStringUTF8(p)!; }
        finally { free(p); }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern IntPtr realpath([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [System.Runtime.InteropServices.DllImport("libc")]
    static extern void free(IntPtr p);
}
