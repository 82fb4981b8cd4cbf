// Training benchmarks (BENCHMARKS.md, Training): step time of a zoo model vs its PyTorch twin (yolov5_step.py), loader throughput.
// usage: dotnet run -c Release -- step [model] [scale] [nc] [batch] [imgsz] | loader DATA.yaml [imgsz] [batch] [workers]
using System.Diagnostics;
using YoloSweep.Models;
using YoloSweep.Torch;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Optim;
using static YoloSweep.Torch.torch;

var mode = args.Length > 0 ? args[0] : "step";
if (Environment.GetEnvironmentVariable("YS_THREADS") is { } th) set_num_threads(int.Parse(th));
if (mode == "step")
{
    var name = args.Length > 1 ? args[1] : "yolov5";
    var scale = args.Length > 2 ? args[2] : "n";
    var nc = args.Length > 3 ? int.Parse(args[3]) : 3;
    var batch = args.Length > 4 ? int.Parse(args[4]) : 16;
    var imgsz = args.Length > 5 ? int.Parse(args[5]) : 320;
    manual_seed(0);
    using var model = ModelCatalog.Build(name, scale, nc);
    model.train();
    Console.WriteLine($"{name}{scale} nc={nc}: {model.ParameterCount:N0} parameters");
    using var opt = new optim.SGD(Schedule.Groups(model, 5e-4), 0.01, 0.937, nesterov: true);
    using var x = rand([batch, 3, imgsz, imgsz]);
    var t = tensor(new float[] { 0, 1, 0.5f, 0.5f, 0.3f, 0.3f, 1, 0, 0.3f, 0.6f, 0.2f, 0.1f }, [2, 6]);
    var lossFn = TrainingRun.MakeLoss(model, imgsz);
    foreach (var kind in new[] { "mse", "v5loss" })
    {
        double Step()
        {
            var sw = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            Tensor loss = kind == "mse" ? model.Forward(x).Raw.Select(o => o.pow(2).mean()).Aggregate((a, b) => a + b) : lossFn(model, x, t).Item1;
            loss.backward();
            opt.step();
            opt.zero_grad();
            return sw.Elapsed.TotalMilliseconds;
        }
        for (var i = 0; i < 3; i++) Step();
        var steps = int.Parse(Environment.GetEnvironmentVariable("YS_STEPS") ?? "20");
        var times = Enumerable.Range(0, steps).Select(_ => Step()).OrderBy(v => v).ToList();
        Console.WriteLine($"csharp {name}{scale} {kind} batch {batch} imgsz {imgsz} threads {get_num_threads()}: median step {times[times.Count / 2]:F1} ms");
    }
}
else
{
    var yaml = args[1];
    var imgsz = args.Length > 2 ? int.Parse(args[2]) : 128;
    var batch = args.Length > 3 ? int.Parse(args[3]) : 16;
    var workers = args.Length > 4 ? int.Parse(args[4]) : 2;
    var cfg = DatasetConfig.Load(yaml);
    using var ds = YoloDataset.Open(cfg.Train, cfg.Nc, imgsz);
    var loader = new DetectionLoader(ds, batch, true, new AugmentOptions(), workers, 4, 0);
    foreach (var mosaic in new[] { true, false })
    {
        var sw = Stopwatch.StartNew();
        var n = 0;
        foreach (var b in loader.Epoch(0, mosaic)) { n += b.Size; b.Dispose(); }
        Console.WriteLine($"loader mosaic={mosaic} imgsz {imgsz} batch {batch} workers {workers}: {n / sw.Elapsed.TotalSeconds:F0} images/s");
    }
}
