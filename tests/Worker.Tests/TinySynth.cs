using YoloSweep.Trainer.Data;

namespace YoloSweep.Worker.Tests;

/// <summary>A tiny synth dataset for the trial tests (written once per test class).</summary>
public sealed class TinySynth : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "ys-worker-synth-" + Guid.NewGuid().ToString("N")[..8]);
    public string Yaml { get; }
    public TinySynth() { Yaml = Synth.Write(new SynthOptions(Dir, Train: 48, Val: 16, ImgSize: 64, Seed: 7, MaxObjects: 2)); }
    public void Dispose() { try { Directory.Delete(Dir, true); } catch (IOException) { } }
}
