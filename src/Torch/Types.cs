namespace YoloSweep.Torch;

/// <summary>Element types; values equal c10::ScalarType.</summary>
public enum ScalarType
{
    Byte = 0, Int8 = 1, Int16 = 2, Int32 = 3, Int64 = 4, Float16 = 5, Float32 = 6, Float64 = 7,
    Bool = 11, BFloat16 = 15,
}

/// <summary>Device kinds; values equal c10::DeviceType.</summary>
public enum DeviceType { CPU = 0, CUDA = 1 }

/// <summary>Memory layouts; values equal c10::MemoryFormat.</summary>
public enum MemoryFormat { Contiguous = 0, Preserve = 1, ChannelsLast = 2, ChannelsLast3d = 3 }

/// <summary>A device such as "cpu" or "cuda:1".</summary>
public readonly record struct Device(DeviceType type, int index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);

    public static Device Parse(string s)
    {
        var text = s.Trim().ToLowerInvariant();
        if (text == "cpu") return CPU;
        if (text == "cuda") return new Device(DeviceType.CUDA, 0);
        if (text.StartsWith("cuda:") && int.TryParse(text[5..], out var i) && i >= 0) return new Device(DeviceType.CUDA, i);
        if (int.TryParse(text, out var j) && j >= 0) return new Device(DeviceType.CUDA, j);
        throw new ArgumentException($"unknown device '{s}' (expected cpu, cuda or cuda:N)");
    }

    public static implicit operator Device(string s) => Parse(s);

    public override string ToString() => type == DeviceType.CPU ? "cpu" : index < 0 ? "cuda" : $"cuda:{index}";
}

public static class ScalarTypeExtensions
{
    public static int ElementSize(this ScalarType t) => t switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    public static bool IsFloatingPoint(this ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16;

    /// <summary>safetensors dtype names.</summary>
    public static string SafetensorsName(this ScalarType t) => t switch
    {
        ScalarType.Byte => "U8", ScalarType.Int8 => "I8", ScalarType.Int16 => "I16", ScalarType.Int32 => "I32",
        ScalarType.Int64 => "I64", ScalarType.Float16 => "F16", ScalarType.Float32 => "F32",
        ScalarType.Float64 => "F64", ScalarType.Bool => "BOOL", ScalarType.BFloat16 => "BF16",
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };

    public static ScalarType FromSafetensorsName(string s) => s switch
    {
        "U8" => ScalarType.Byte, "I8" => ScalarType.Int8, "I16" => ScalarType.Int16, "I32" => ScalarType.Int32,
        "I64" => ScalarType.Int64, "F16" => ScalarType.Float16, "F32" => ScalarType.Float32,
        "F64" => ScalarType.Float64, "BOOL" => ScalarType.Bool, "BF16" => ScalarType.BFloat16,
        _ => throw new FormatException($"unsupported safetensors dtype '{s}'"),
    };
}
