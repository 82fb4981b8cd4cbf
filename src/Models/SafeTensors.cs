using System.Text;
using System.Text.Json;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models;

/// <summary>Minimal safetensors reader/writer (8-byte little-endian header size, JSON header, raw little-endian data)
/// for model weights, fixture inputs and `model run` outputs. To be replaced by the binding's when it lands.</summary>
public static class SafeTensors
{
    public static Dictionary<string, Tensor> Load(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var n = BitConverter.ToInt64(bytes, 0);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        var baseOffset = 8 + n;
        var result = new Dictionary<string, Tensor>();
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            if (p.Name == "__metadata__") continue;
            var dtype = ScalarTypeExtensions.FromSafetensorsName(p.Value.GetProperty("dtype").GetString()!);
            var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var off = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var span = bytes.AsSpan((int)(baseOffset + off[0]), (int)(off[1] - off[0]));
            result[p.Name] = FromBytes(span, dtype, shape);
        }
        return result;
    }

    static Tensor FromBytes(ReadOnlySpan<byte> data, ScalarType dtype, long[] shape) => dtype switch
    {
        ScalarType.Float32 => tensor<float>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data), shape),
        ScalarType.Float64 => tensor<double>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(data), shape),
        ScalarType.Int64 => tensor<long>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(data), shape),
        ScalarType.Int32 => tensor<int>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(data), shape),
        ScalarType.Byte => tensor<byte>(data, shape),
        ScalarType.Bool => tensor<bool>(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, bool>(data), shape),
        _ => throw new FormatException($"safetensors: dtype {dtype} not supported here"),
    };

    public static void Save(string path, IEnumerable<(string name, Tensor value)> tensors)
    {
        var header = new Dictionary<string, object>();
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t0) in tensors)
        {
            using var t = t0.detach().cpu().contiguous();
            byte[] raw = t.dtype switch
            {
                ScalarType.Float32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan()).ToArray(),
                ScalarType.Float64 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan()).ToArray(),
                ScalarType.Int64 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan()).ToArray(),
                ScalarType.Int32 => System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.ToArray<int>().AsSpan()).ToArray(),
                _ => throw new FormatException($"safetensors: dtype {t.dtype} not supported here"),
            };
            header[name] = new { dtype = t.dtype.SafetensorsName(), shape = t.shape, data_offsets = new[] { offset, offset + raw.Length } };
            offset += raw.Length;
            blobs.Add(raw);
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        var pad = (8 - json.Length % 8) % 8;
        using var f = File.Create(path);
        f.Write(BitConverter.GetBytes((long)(json.Length + pad)));
        f.Write(json);
        for (var i = 0; i < pad; i++) f.WriteByte((byte)' ');
        foreach (var b in blobs) f.Write(b);
    }
}
