using System.Globalization;

namespace YoloSweep.Trainer.Data;

/// <summary>YOLO label files: one object per line "class x_center y_center width height", normalised to [0, 1].</summary>
public static class LabelFile
{
    static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png"];

    public static bool IsImage(string path) => ImageExtensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>images/… → labels/… (last "images" directory component), extension .txt, as ultralytics img2label_paths.</summary>
    public static string LabelPathFor(string imagePath)
    {
        var sep = Path.DirectorySeparatorChar;
        var marker = $"{sep}images{sep}";
        var i = imagePath.LastIndexOf(marker, StringComparison.Ordinal);
        var labelPath = i >= 0 ? imagePath[..i] + $"{sep}labels{sep}" + imagePath[(i + marker.Length)..] : imagePath;
        return Path.ChangeExtension(labelPath, ".txt");
    }

    /// <summary>Image files of a source: a directory (recursive) or a .txt list (paths relative to the list's parent).</summary>
    public static List<string> ListImages(string source)
    {
        if (Directory.Exists(source))
            return Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories).Where(IsImage).Order(StringComparer.Ordinal).ToList();
        if (File.Exists(source) && source.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(source))!;
            return File.ReadAllLines(source).Select(l => l.Trim()).Where(l => l.Length > 0)
                .Select(l => Path.IsPathRooted(l) ? l : Path.GetFullPath(Path.Combine(dir, l))).ToList();
        }
        throw new DatasetException($"image source not found: {source} (expected a directory of images or a .txt list)");
    }

    /// <summary>Parses a label file; malformed lines (wrong field count, not numbers, class outside [0, nc),
    /// coordinates outside [0, 1], zero size) are skipped and counted. A missing file means no objects.</summary>
    public static (List<float[]> rows, int badLines) Read(string path, int nc)
    {
        var rows = new List<float[]>();
        var bad = 0;
        if (!File.Exists(path)) return (rows, 0);
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 5) { bad++; continue; }
            var v = new float[5];
            var ok = true;
            for (var k = 0; k < 5 && ok; k++)
                ok = float.TryParse(parts[k], NumberStyles.Float, CultureInfo.InvariantCulture, out v[k]) && float.IsFinite(v[k]);
            if (!ok || v[0] < 0 || v[0] >= nc || v[0] != MathF.Floor(v[0])) { bad++; continue; }
            if (v[1] < 0 || v[1] > 1 || v[2] < 0 || v[2] > 1 || v[3] <= 0 || v[3] > 1 || v[4] <= 0 || v[4] > 1) { bad++; continue; }
            rows.Add(v);
        }
        return (rows, bad);
    }
}
