using System.Diagnostics;
using Xunit.Abstractions;
using YoloSweep.Trainer.Data;

namespace YoloSweep.Trainer.Tests;

/// <summary>Kills a real `yolosweep train` process mid-run and resumes it. Needs the built CLI (`dotnet build
/// YoloSweep.sln` builds src/Client before the tests run); a missing CLI or `train` command fails the test.</summary>
public class CliResumeTests(ITestOutputHelper output)
{
    static string? CliDll()
    {
        var root = Fixtures.RepoRoot;
        foreach (var cfg in new[] { "Release", "Debug" })
        {
            var p = Path.Combine(root, "src", "Client", "bin", cfg, "net10.0", "yolosweep.dll");
            if (File.Exists(p)) return p;
        }
        return null;
    }

    static Process Start(string dll, string args)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\" {args}") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    [Fact]
    public void Killed_train_process_resumes_to_a_complete_results_csv_with_every_epoch_once()
    {
        var dll = CliDll();
        Assert.True(dll is not null, $"the yolosweep CLI is not built (src/Client/bin/{{Release,Debug}}/net10.0/yolosweep.dll under {Fixtures.RepoRoot}): build YoloSweep.sln first");
        using (var probe = Start(dll, "train --help"))
        {
            Assert.True(probe.WaitForExit(60_000), "`yolosweep train --help` did not exit within 60 s");
            Assert.True(probe.ExitCode == 0, $"`yolosweep train --help` exited with {probe.ExitCode}: the train command is missing from the CLI");
        }
        var dir = Path.Combine(Path.GetTempPath(), "ys-cli-resume-" + Guid.NewGuid().ToString("N")[..8]);
        var yaml = Synth.Write(new SynthOptions(Path.Combine(dir, "data"), Train: 64, Val: 8, ImgSize: 64, Seed: 4));
        var project = Path.Combine(dir, "runs");
        var args = $"train --model \"{Fixtures.TinyModel("tiny-v5")}\" --data \"{yaml}\" --epochs 8 --imgsz 64 --batch 8 --project \"{project}\" --seed 3";
        var run = Path.Combine(project, "train");  // --name defaults to train; --resume finds it without one
        var csv = Path.Combine(run, "results.csv");
        using (var p = Start(dll, args))
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed < TimeSpan.FromSeconds(120) && !p.HasExited)
            {
                if (File.Exists(csv) && File.ReadAllLines(csv).Length >= 3) break;  // header + 2 epochs
                Thread.Sleep(50);
            }
            Assert.False(p.HasExited, "training finished before it could be killed");
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
        }
        var killedRows = File.ReadAllLines(csv);
        var before = killedRows.Length - 1;
        output.WriteLine($"killed after {before} epochs");
        Assert.InRange(before, 2, 7);
        using (var p = Start(dll, args + " --resume"))
        {
            Assert.True(p.WaitForExit(300_000));
            Assert.Equal(0, p.ExitCode);
        }
        var rows = File.ReadAllLines(csv);
        var epochs = rows.Skip(1).Select(l => int.Parse(l.Split(',')[0])).ToList();
        Assert.Equal(Enumerable.Range(1, 8), epochs);
        // the resumed process continued after the checkpoint: the epochs finished before the kill are kept as they were
        // (a checkpoint is written after its csv row, so the row of an epoch killed mid-checkpoint may be redone)
        Assert.Equal(killedRows.Take(before), rows.Take(before));
        Assert.True(File.Exists(Path.Combine(run, "metrics.json")));
        Assert.False(Directory.Exists(Path.Combine(project, "train2")), "--resume continued runs/train, it did not start train2");
        Directory.Delete(dir, true);
    }
}
