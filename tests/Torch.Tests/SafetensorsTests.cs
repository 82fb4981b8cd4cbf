using static YoloSweep.Torch.torch;

namespace YoloSweep.Torch.Tests;

public class SafetensorsTests
{
    [Fact]
    public void Reads_the_pytorch_written_fixture_with_metadata_shapes_and_values()
    {
        var (tensors, metadata) = safetensors.read(TestData.Fixture("yolov5_n.safetensors"));
        using var s = NewDisposeScope();
        foreach (var (_, t) in tensors) t.MoveToOuterDisposeScope();
        Assert.Equal("yolov5_n", metadata["model"]);
        var byName = tensors.ToDictionary(e => e.name, e => e.tensor);
        Assert.Equal(new long[] { 16, 3, 6, 6 }, byName["check.model.0.conv.weight"].shape);
        Assert.Equal(ScalarType.Float32, byName["check.model.0.conv.weight"].dtype);
        Assert.Equal(new long[] { 128 }, byName["check.model.8.m.0.cv1.bn.running_var"].shape);
        // Entries come back in file order.
        Assert.Equal("check.model.0.conv.weight", tensors[0].name);
        foreach (var (_, t) in tensors) t.Dispose();
    }

    [Fact]
    public void Round_trip_keeps_names_order_dtypes_shapes_values_and_metadata()
    {
        using var s = NewDisposeScope();
        var path = Path.Combine(Path.GetTempPath(), $"ys-st-{Guid.NewGuid():N}.safetensors");
        var input = new List<(string, Tensor)>
        {
            ("b.weight", arange(12, ScalarType.Float32).view(3, 4) / 7),
            ("a.ids", tensor(new long[] { -5, 1L << 40, 7 })),
            ("mask", tensor(new[] { true, false, true, true })),
            ("half", tensor(new float[] { 1.5f, -2.25f }).half()),
            ("bf", tensor(new float[] { 3.0f, 0.125f }).bfloat16()),
            ("i32", tensor(new[] { 1, -2 })),
            ("u8", tensor(new byte[] { 0, 255 })),
            ("f64", tensor(new[] { Math.PI })),
            ("empty", zeros([0, 3])),
            ("scalar", scalar_tensor(42)),
            ("strided", arange(6, ScalarType.Float32).view(2, 3).t()),   // written contiguous
        };
        try
        {
            safetensors.save_file(input, path, new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcode" });
            var (output, meta) = safetensors.read(path);
            Assert.Equal("ünïcode", meta["note"]);
            Assert.Equal(input.Select(e => e.Item1), output.Select(e => e.name));
            for (var i = 0; i < input.Count; i++)
            {
                var (a, b) = (input[i].Item2, output[i].tensor);
                Assert.Equal(a.dtype, b.dtype);
                Assert.Equal(a.shape, b.shape);
                Assert.True(a.equal(b), $"{input[i].Item1} differs");
            }
            Assert.Equal(0, BitConverter.ToInt64(File.ReadAllBytes(path), 0) % 8);  // header padded to 8
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Corrupt_or_truncated_files_throw_TorchException_saying_what_is_wrong()
    {
        using var s = NewDisposeScope();
        var dir = Path.Combine(Path.GetTempPath(), $"ys-st-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var good = Path.Combine(dir, "good.safetensors");
            safetensors.save_file([("w", ones(64))], good);
            var bytes = File.ReadAllBytes(good);
            string Write(string name, byte[] b) { var p = Path.Combine(dir, name); File.WriteAllBytes(p, b); return p; }
            string Error(string p) => Assert.Throws<TorchException>(() => safetensors.read(p)).Message;

            Assert.Contains("truncated", Error(Write("trunc.safetensors", bytes[..(bytes.Length - 10)])));
            Assert.Contains("too short", Error(Write("short.safetensors", bytes[..5])));
            var hugeLen = (byte[])bytes.Clone();
            BitConverter.GetBytes(1L << 50).CopyTo(hugeLen, 0);
            Assert.Contains("not plausible", Error(Write("len.safetensors", hugeLen)));
            var headerLen = BitConverter.ToInt64(bytes, 0);
            var badJson = (byte[])bytes.Clone();
            badJson[8] = (byte)'[';
            Assert.Contains("not valid JSON", Error(Write("json.safetensors", badJson)));
            var text = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)headerLen).Replace("\"F32\"", "\"F99\"");
            var badType = bytes[..8].Concat(System.Text.Encoding.UTF8.GetBytes(text)).Concat(bytes[(8 + (int)headerLen)..]).ToArray();
            Assert.Contains("unsupported safetensors dtype 'F99'", Error(Write("dtype.safetensors", badType)));
            var text2 = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)headerLen).Replace("[64]", "[65]");
            var badShape = bytes[..8].Concat(System.Text.Encoding.UTF8.GetBytes(text2)).Concat(bytes[(8 + (int)headerLen)..]).ToArray();
            Assert.Contains("needs 260", Error(Write("shape.safetensors", badShape)));
            Assert.Contains("cannot open", Error(Path.Combine(dir, "missing.safetensors")));
        }
        finally { Directory.Delete(dir, true); }
    }
}
