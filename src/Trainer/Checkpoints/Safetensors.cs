using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Trainer.Checkpoints;

/// <summary>Minimal safetensors reader/writer (8-byte header length, JSON header, raw little-endian data).
/// Kept internal to the trainer until the binding's own safetensors I/O is merged; then this delegates to it.</summary>
public static class Safetensors
{
    /// <summary>Reads every tensor of a file, in header order, onto the CPU. The caller owns the tensors.</summary>
    public static Dictionary<string, Tensor> Load(string path, out Dictionary<string, string> metadata)
    {
        metadata = [];
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileNotFoundException($"cannot read safetensors file {path}: {e.Message}", path, e);
        }
        if (bytes.Length < 8) throw new FormatException($"{path}: not a safetensors file (shorter than 8 bytes)");
        var n = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        if (n <= 0 || 8 + n > bytes.Length) throw new FormatException($"{path}: header length {n} does not fit a {bytes.Length}-byte file");
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, n))!.AsObject();
        var data = 8 + n;
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                foreach (var (k, v) in node!.AsObject()) metadata[k] = v!.GetValue<string>();
                continue;
            }
            var dtype = ScalarTypeExtensions.FromSafetensorsName(node!["dtype"]!.GetValue<string>());
            var shape = node["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
            var offs = node["data_offsets"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
            var len = checked((int)(offs[1] - offs[0]));
            using var raw = tensor<byte>(bytes.AsSpan(data + (int)offs[0], len));
            using var typed = Op.Call("aten::view.dtype", raw, dtype);
            result[name] = typed.reshape(shape).clone();
        }
        return result;
    }

    public static Dictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Writes tensors (any device; copied to the CPU) in the given order, atomically (temp file + rename).</summary>
    public static void Save(string path, IEnumerable<(string name, Tensor value)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var m = new JsonObject();
            foreach (var (k, v) in metadata) m[k] = v;
            header["__metadata__"] = m;
        }
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, value) in tensors)
        {
            using var c = value.detach().cpu().contiguous();
            var blob = c.numel() == 0 ? [] : ToBytes(c);
            header[name] = new JsonObject
            {
                ["dtype"] = c.dtype.SafetensorsName(),
                ["shape"] = new JsonArray(c.shape.Select(s => (JsonNode)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + blob.Length),
            };
            offset += blob.Length;
            blobs.Add(blob);
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var pad = (8 - json.Length % 8) % 8;  // keeps the data 8-byte aligned, as the reference writer does
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
            fs.Write(len);
            fs.Write(json);
            for (var i = 0; i < pad; i++) fs.WriteByte((byte)' ');
            foreach (var b in blobs) fs.Write(b);
            fs.Flush(true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    static byte[] ToBytes(Tensor c)
    {
        using var flat = c.reshape(-1);
        using var bytes = Op.Call("aten::view.dtype", flat, ScalarType.Byte);
        return bytes.ToArray<byte>();
    }
}
