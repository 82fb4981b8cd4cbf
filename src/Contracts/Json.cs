using System.Text.Json;
using System.Text.Json.Serialization;

namespace YoloSweep.Contracts;

/// <summary>The one JSON convention of the project's files and API: snake_case names, enums as strings.</summary>
public static class Json
{
    public static JsonSerializerOptions Options { get; } = Create(indented: false);
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    static JsonSerializerOptions Create(bool indented)
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            WriteIndented = indented,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return o;
    }

    /// <summary>An enum value as the JSON writes it ("no_evidence"); "" for null.</summary>
    public static string EnumName<T>(T? value) where T : struct, Enum => value is { } v ? JsonNamingPolicy.SnakeCaseLower.ConvertName(v.ToString()) : "";

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);
    public static T? Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, Options);
}
