namespace YoloSweep.Torch.Tests;

/// <summary>Locates tests/data (the fixtures copied from PyTorch) by walking up from the test assembly.</summary>
static class TestData
{
    public static string Fixture(string file)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "tests", "data", "fixtures", file);
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException($"tests/data/fixtures/{file} not found above {AppContext.BaseDirectory}");
    }
}
