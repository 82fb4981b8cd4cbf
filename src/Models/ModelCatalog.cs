using Zoo = YoloSweep.Contracts.Catalog.ModelCatalog;

namespace YoloSweep.Models;

/// <summary>Builds the model zoo (configs/models/*.yaml, listed by <see cref="Zoo"/>) or a user's own model YAML.</summary>
public static class ModelCatalog
{
    public static IEnumerable<string> Names => Zoo.Models.Select(m => m.Name);

    public static bool IsZooModel(string name) => Zoo.Find(name) is not null;

    /// <summary>The spec of a zoo model, or of a YAML file when <paramref name="nameOrPath"/> ends in .yaml/.yml or exists.</summary>
    public static ModelSpec LoadSpec(string nameOrPath)
    {
        if (IsZooModel(nameOrPath))
            return ModelSpec.Parse(Zoo.ReadYaml(nameOrPath)!, $"configs/models/{nameOrPath}.yaml");
        if (nameOrPath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || nameOrPath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || File.Exists(nameOrPath))
            return ModelSpec.LoadFile(nameOrPath);
        throw new ModelConfigException($"unknown model '{nameOrPath}'; models: {string.Join(", ", Names)} (or a path to a model YAML)");
    }

    /// <summary>Builds a zoo model (or a user YAML) at a scale with knobs.</summary>
    public static DetectionModel Build(string nameOrPath, string? scale = null, long? nc = null, IReadOnlyDictionary<string, string>? knobs = null)
    {
        var spec = LoadSpec(nameOrPath);
        var name = IsZooModel(nameOrPath) ? nameOrPath : Path.GetFileNameWithoutExtension(nameOrPath);
        return ModelBuilder.Build(spec, new BuildOptions(scale, nc, knobs, name));
    }
}
