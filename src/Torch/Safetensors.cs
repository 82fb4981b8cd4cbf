using System.Text;
using System.Text.Json;

namespace YoloSweep.Torch;

public static partial class torch
{
    /// <summary>The safetensors format (weights interchange with PyTorch): an 8-byte little-endian header length,
    /// a JSON header {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the raw
    /// little-endian tensor bytes, offsets relative to the end of the header. Every malformed file is reported as
    /// a TorchException naming the file and what is wrong.</summary>
    public static class safetensors
    {
        const long MaxHeader = 100L << 20;  // the reference implementation's limit

        /// <summary>All tensors of a file by name (CPU, or moved to device), as safetensors.torch.load_file.</summary>
        public static Dictionary<string, Tensor> load_file(string path, Device? device = null)
        {
            var (tensors, _) = read(path);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, t) in tensors)
            {
                if (device is { type: not DeviceType.CPU } d) { result[name] = t.to(d); t.Dispose(); }
                else result[name] = t;
            }
            return result;
        }

        /// <summary>Tensors in file order, and the __metadata__ strings.</summary>
        public static unsafe (List<(string name, Tensor tensor)> tensors, Dictionary<string, string> metadata) read(string path)
        {
            using var f = OpenRead(path);
            var fileLength = f.Length;
            if (fileLength < 8) throw Bad(path, $"file is {fileLength} bytes, too short for the 8-byte header length");
            Span<byte> len8 = stackalloc byte[8];
            f.ReadExactly(len8);
            var headerLength = BitConverter.ToInt64(len8);  // little-endian hosts only (x86-64, arm64)
            if (headerLength < 2 || headerLength > MaxHeader)
                throw Bad(path, $"header length {headerLength} is not plausible (2 … {MaxHeader} bytes)");
            if (headerLength > fileLength - 8)
                throw Bad(path, $"header length {headerLength} exceeds the file ({fileLength} bytes): truncated or not a safetensors file");
            var headerBytes = new byte[headerLength];
            f.ReadExactly(headerBytes);
            var dataLength = fileLength - 8 - headerLength;

            var entries = new List<(string name, ScalarType dtype, long[] shape, long begin, long end)>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            try
            {
                using var doc = JsonDocument.Parse(headerBytes);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "header is not a JSON object");
                foreach (var e in doc.RootElement.EnumerateObject())
                {
                    if (e.Name == "__metadata__")
                    {
                        foreach (var m in e.Value.EnumerateObject())
                            metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()!
                                : throw Bad(path, $"__metadata__ value '{m.Name}' is not a string");
                        continue;
                    }
                    entries.Add(ParseEntry(path, e, dataLength));
                }
            }
            catch (JsonException ex) { throw Bad(path, $"header is not valid JSON ({ex.Message})"); }
            catch (InvalidOperationException ex) { throw Bad(path, $"header has an unexpected structure ({ex.Message})"); }
            catch (FormatException ex) { throw Bad(path, $"header has a non-integer shape or offset ({ex.Message})"); }
            catch (OverflowException) { throw Bad(path, "a tensor's shape is too large"); }

            entries.Sort((a, b) => a.begin.CompareTo(b.begin));
            for (var i = 1; i < entries.Count; i++)
                if (entries[i].begin < entries[i - 1].end)
                    throw Bad(path, $"tensors '{entries[i - 1].name}' and '{entries[i].name}' overlap");

            var result = new List<(string, Tensor)>();
            try
            {
                foreach (var (name, dtype, shape, begin, end) in entries)
                {
                    var t = empty(shape, dtype);
                    result.Add((name, t));
                    if (end == begin) continue;
                    f.Seek(8 + headerLength + begin, SeekOrigin.Begin);
                    var p = (byte*)Native.Check(Native.ys_tensor_data_ptr(t.Handle));
                    for (var off = 0L; off < end - begin;)
                    {
                        var n = (int)Math.Min(1 << 30, end - begin - off);
                        var got = f.Read(new Span<byte>(p + off, n));
                        if (got == 0) throw Bad(path, $"tensor '{name}': file ends inside its data (truncated)");
                        off += got;
                    }
                }
            }
            catch
            {
                foreach (var (_, t) in result) t.Dispose();
                throw;
            }
            return (result, metadata);
        }

        static (string, ScalarType, long[], long, long) ParseEntry(string path, JsonProperty e, long dataLength)
        {
            var v = e.Value;
            if (v.ValueKind != JsonValueKind.Object) throw Bad(path, $"tensor '{e.Name}': entry is not an object");
            if (!v.TryGetProperty("dtype", out var dt) || !v.TryGetProperty("shape", out var sh) || !v.TryGetProperty("data_offsets", out var of))
                throw Bad(path, $"tensor '{e.Name}': needs dtype, shape and data_offsets");
            ScalarType dtype;
            try { dtype = ScalarTypeExtensions.FromSafetensorsName(dt.GetString() ?? ""); }
            catch (FormatException ex) { throw Bad(path, $"tensor '{e.Name}': {ex.Message}"); }
            var shape = sh.EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (shape.Any(s => s < 0)) throw Bad(path, $"tensor '{e.Name}': negative dimension in shape [{string.Join(", ", shape)}]");
            var offsets = of.EnumerateArray().Select(x => x.GetInt64()).ToArray();
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw Bad(path, $"tensor '{e.Name}': data_offsets must be [begin, end] with 0 ≤ begin ≤ end");
            long numel = 1;
            foreach (var s in shape) numel = checked(numel * s);
            var nbytes = checked(numel * dtype.ElementSize());
            if (offsets[1] - offsets[0] != nbytes)
                throw Bad(path, $"tensor '{e.Name}': data_offsets [{offsets[0]}, {offsets[1]}] hold {offsets[1] - offsets[0]} bytes, "
                    + $"shape [{string.Join(", ", shape)}] of {dtype} needs {nbytes}");
            if (offsets[1] > dataLength)
                throw Bad(path, $"tensor '{e.Name}': data ends at byte {offsets[1]} of the data section, which has {dataLength} (truncated file?)");
            return (e.Name, dtype, shape, offsets[0], offsets[1]);
        }

        /// <summary>Writes tensors (any device; copied to host, contiguous) in the given order, with optional
        /// __metadata__. The header is padded with spaces to a multiple of 8 bytes, as the reference writer does.</summary>
        public static unsafe void save_file(IEnumerable<(string name, Tensor tensor)> tensors, string path,
            IReadOnlyDictionary<string, string>? metadata = null)
        {
            var list = tensors.ToList();
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (n, _) in list)
            {
                if (n == "__metadata__") throw new ArgumentException("safetensors: '__metadata__' cannot name a tensor");
                if (!names.Add(n)) throw new ArgumentException($"safetensors: duplicate tensor name '{n}'");
            }
            var header = new MemoryStream();
            using (var w = new Utf8JsonWriter(header))
            {
                w.WriteStartObject();
                if (metadata is { Count: > 0 })
                {
                    w.WriteStartObject("__metadata__");
                    foreach (var (k, v) in metadata) w.WriteString(k, v);
                    w.WriteEndObject();
                }
                long offset = 0;
                foreach (var (n, t) in list)
                {
                    var nbytes = t.numel() * t.dtype.ElementSize();
                    w.WriteStartObject(n);
                    w.WriteString("dtype", t.dtype.SafetensorsName());
                    w.WriteStartArray("shape");
                    foreach (var s in t.shape) w.WriteNumberValue(s);
                    w.WriteEndArray();
                    w.WriteStartArray("data_offsets");
                    w.WriteNumberValue(offset);
                    w.WriteNumberValue(offset + nbytes);
                    w.WriteEndArray();
                    w.WriteEndObject();
                    offset += nbytes;
                }
                w.WriteEndObject();
            }
            var pad = (8 - header.Length % 8) % 8;
            for (var i = 0; i < pad; i++) header.WriteByte((byte)' ');

            var tmp = path + ".tmp";
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                f.Write(BitConverter.GetBytes(header.Length));
                header.Position = 0;
                header.CopyTo(f);
                foreach (var (_, t) in list)
                {
                    var nbytes = t.numel() * t.dtype.ElementSize();
                    var buf = new byte[nbytes];
                    fixed (byte* p = buf) Native.Check(Native.ys_tensor_copy_to(t.Handle, p, nbytes));
                    GC.KeepAlive(t);
                    f.Write(buf);
                }
            }
            File.Move(tmp, path, overwrite: true);  // a crash mid-write never leaves a half file under the name
        }

        public static void save_file(IReadOnlyDictionary<string, Tensor> tensors, string path,
            IReadOnlyDictionary<string, string>? metadata = null) =>
            save_file(tensors.Select(e => (e.Key, e.Value)), path, metadata);

        static FileStream OpenRead(string path)
        {
            try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TorchException($"safetensors {path}: cannot open ({e.Message})");
            }
        }

        static TorchException Bad(string path, string what) => new($"safetensors {path}: {what}");
    }
}
