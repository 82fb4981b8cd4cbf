using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Spectre.Console;
using YamlDotNet.RepresentationModel;
using YoloSweep.Models;
using YoloSweep.Trainer.Data;
using YoloSweep.Trainer.Engine;
using YoloSweep.Trainer.Optim;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep train`: a thin driver over <see cref="TrainingRun.Run"/>. Runs go to PROJECT/NAME, NAME2, …
/// (ultralytics' naming); the options are those a sweep's `train:` block takes, under the same names.</summary>
public static class TrainCommands
{
    static readonly OptimOptions OptimDefaults = new();
    static readonly AugmentOptions AugDefaults = new();

    public static Command Build()
    {
        var model = new Option<string>("--model") { Description = $"zoo model ({string.Join(", ", ModelCatalog.Names)}) or a path to a model YAML (required unless --resume)" };
        var scale = new Option<string>("--scale") { Description = "n, s, m, l or x (b for yolov10)", DefaultValueFactory = _ => "n" };
        var data = new Option<string>("--data") { Description = "dataset YAML (ultralytics format; `data synth` writes one) (required unless --resume)" };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 100 };
        var imgsz = new Option<int>("--imgsz") { Description = "training image size (pixels, a multiple of 32)", DefaultValueFactory = _ => 640 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 16 };
        var device = new Option<string>("--device") { Description = "cpu, cuda:0 or cuda:0,1 (one replica per device)", DefaultValueFactory = _ => "cpu" };
        var knob = new Option<string[]>("--knob") { Description = "model knob k=v (repeatable)", AllowMultipleArgumentsPerToken = false };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "continue PROJECT/NAME (or, without --name, the newest resumable run) from weights/last.*; options not given are read from its args.yaml" };
        var project = new Option<string>("--project") { Description = "folder of the runs", DefaultValueFactory = _ => "runs" };
        var name = new Option<string>("--name") { Description = "run name: PROJECT/NAME, or NAME2, NAME3, … when it exists", DefaultValueFactory = _ => "train" };
        var existOk = new Option<bool>("--exist-ok") { Description = "reuse PROJECT/NAME instead of numbering a new run" };
        var workers = new Option<int>("--workers") { Description = "data loader threads", DefaultValueFactory = _ => 2 };
        var optimizer = new Option<string>("--optimizer") { Description = $"{string.Join(", ", Optimizers.Names)}", DefaultValueFactory = _ => "SGD" };
        var lr0 = new Option<double?>("--lr0") { Description = "initial learning rate (default 0.01 for SGD, 0.001 for Adam/AdamW)" };
        var lrf = new Option<double>("--lrf") { Description = "final learning rate as a fraction of lr0", DefaultValueFactory = _ => OptimDefaults.Lrf };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum / Adam beta1", DefaultValueFactory = _ => OptimDefaults.Momentum };
        var weightDecay = new Option<double>("--weight-decay") { Description = "weight decay at the nominal batch", DefaultValueFactory = _ => OptimDefaults.WeightDecay };
        var warmupEpochs = new Option<double>("--warmup-epochs") { DefaultValueFactory = _ => OptimDefaults.WarmupEpochs };
        var warmupMomentum = new Option<double>("--warmup-momentum") { DefaultValueFactory = _ => OptimDefaults.WarmupMomentum };
        var warmupBiasLr = new Option<double>("--warmup-bias-lr") { DefaultValueFactory = _ => OptimDefaults.WarmupBiasLr };
        var cosLr = new Option<bool>("--cos-lr") { Description = "cosine learning-rate decay (default linear)" };
        var nbs = new Option<int>("--nbs") { Description = "nominal batch size: gradients accumulate to it", DefaultValueFactory = _ => OptimDefaults.NominalBatch };
        var patience = new Option<int>("--patience") { Description = "stop after this many epochs without a fitness improvement (0 = never)", DefaultValueFactory = _ => 100 };
        var closeMosaic = new Option<int>("--close-mosaic") { Description = "turn mosaic off for the last N epochs", DefaultValueFactory = _ => 10 };
        var mosaic = new Option<double>("--mosaic") { Description = "mosaic probability", DefaultValueFactory = _ => AugDefaults.Mosaic };
        var fliplr = new Option<double>("--fliplr") { Description = "left-right flip probability", DefaultValueFactory = _ => AugDefaults.FlipLR };
        var hsvH = new Option<double>("--hsv-h") { DefaultValueFactory = _ => AugDefaults.HsvH };
        var hsvS = new Option<double>("--hsv-s") { DefaultValueFactory = _ => AugDefaults.HsvS };
        var hsvV = new Option<double>("--hsv-v") { DefaultValueFactory = _ => AugDefaults.HsvV };
        var amp = new Option<bool>("--amp") { Description = "mixed precision on CUDA (--amp false to turn off)", DefaultValueFactory = _ => true };
        var cache = new Option<bool>("--cache") { Description = "keep resized images in RAM (--cache false to read them every epoch)", DefaultValueFactory = _ => true };
        var val = new Option<bool>("--val") { Description = "validate every epoch (--val false: only after the last)", DefaultValueFactory = _ => true };
        var plots = new Option<bool>("--plots") { Description = "write the plots (--plots false to skip them)", DefaultValueFactory = _ => true };
        var cmd = new Command("train", "Train a detector on a YOLO-format dataset; results, plots and weights go to runs/train, runs/train2, …")
        {
            model, scale, data, epochs, imgsz, batch, device, knob, seed, resume, project, name, existOk, workers, optimizer, lr0, lrf, momentum,
            weightDecay, warmupEpochs, warmupMomentum, warmupBiasLr, cosLr, nbs, patience, closeMosaic, mosaic, fliplr, hsvH, hsvS, hsvV, amp, cache, val, plots,
        };
        cmd.SetAction(parse =>
        {
            var resuming = parse.GetValue(resume);
            var projectDir = parse.GetValue(project)!;
            string runDir;
            YamlMappingNode? args = null;
            if (resuming)
            {
                if (Given(parse, name)) runDir = Path.Combine(projectDir, parse.GetValue(name)!);
                else runDir = RunFolders.Resumable(projectDir, parse.GetValue(name)!).FirstOrDefault()
                    ?? throw new CliException($"--resume: no run under {projectDir}/ has a checkpoint (weights/last.json); name one with --name");
                if (TrainingRun.ReadState(runDir) is null)
                    throw new CliException($"--resume: {runDir} has no checkpoint to resume (weights/last.json and last.safetensors); start it without --resume");
                args = ReadArgs(Path.Combine(runDir, "args.yaml"));
            }
            else runDir = RunFolders.Next(projectDir, parse.GetValue(name)!, parse.GetValue(existOk));

            // an option given on the command line wins; when resuming, the others come from the run's args.yaml
            T Get<T>(Option<T> o, string key, Func<string, T> fromYaml) =>
                !Given(parse, o) && args is not null && Scalar(args, key) is { } text ? fromYaml(text) : parse.GetValue(o)!;
            var inv = CultureInfo.InvariantCulture;
            int I(Option<int> o, string k) => Get(o, k, t => int.Parse(t, inv));
            double D(Option<double> o, string k) => Get(o, k, t => double.Parse(t, inv));
            bool B(Option<bool> o, string k) => Get(o, k, t => t is "true" or "ram");
            string S(Option<string> o, string k) => Get(o, k, t => t);

            var knobs = new Dictionary<string, string>();
            if (Given(parse, knob) || args is null)
                foreach (var k in parse.GetValue(knob) ?? [])
                {
                    var eq = k.IndexOf('=');
                    if (eq <= 0) throw new CliException($"--knob {k}: expected key=value");
                    knobs[k[..eq].Trim()] = k[(eq + 1)..].Trim();
                }
            else if (args.Children.TryGetValue(new YamlScalarNode("knobs"), out var kn) && kn is YamlMappingNode km)
                foreach (var (k, v) in km.Children) knobs[((YamlScalarNode)k).Value!] = ((YamlScalarNode)v).Value!;

            var modelName = S(model, "model");
            var dataPath = S(data, "data");
            if (string.IsNullOrEmpty(modelName)) throw new CliException("--model is required (a zoo model or a model YAML), e.g. --model yolov8 --scale n");
            if (string.IsNullOrEmpty(dataPath)) throw new CliException("--data is required (a dataset YAML), e.g. --data runs/shared/data/shapes/data.yaml from `yolosweep data synth --out runs/shared/data/shapes`");
            var optName = S(optimizer, "optimizer");
            if (Optimizers.Resolve(optName) is not { } opt) throw new CliException($"--optimizer: {Optimizers.UnknownMessage(optName)}");
            var lr = Given(parse, lr0) ? parse.GetValue(lr0)!.Value
                : args is not null && Scalar(args, "lr0") is { } l ? double.Parse(l, inv) : Optimizers.DefaultLr0(opt);
            var o = new TrainOptions
            {
                Model = modelName, Scale = S(scale, "scale"), Data = dataPath, Epochs = I(epochs, "epochs"), ImgSize = I(imgsz, "imgsz"),
                Batch = I(batch, "batch"), Device = S(device, "device"), Knobs = knobs, Seed = I(seed, "seed"), Resume = resuming, Project = runDir,
                Workers = I(workers, "workers"), Patience = I(patience, "patience"), CloseMosaic = I(closeMosaic, "close_mosaic"),
                Amp = B(amp, "amp"), CacheRam = B(cache, "cache"), ValEveryEpoch = B(val, "val"), Plots = parse.GetValue(plots),
                Optim = OptimDefaults with
                {
                    Optimizer = opt, Lr0 = lr, Lrf = D(lrf, "lrf"), Momentum = D(momentum, "momentum"), WeightDecay = D(weightDecay, "weight_decay"),
                    WarmupEpochs = D(warmupEpochs, "warmup_epochs"), WarmupMomentum = D(warmupMomentum, "warmup_momentum"),
                    WarmupBiasLr = D(warmupBiasLr, "warmup_bias_lr"), Cosine = B(cosLr, "cos_lr"), NominalBatch = I(nbs, "nbs"),
                },
                Augment = AugDefaults with
                {
                    Mosaic = D(mosaic, "mosaic"), FlipLR = D(fliplr, "fliplr"), HsvH = D(hsvH, "hsv_h"), HsvS = D(hsvS, "hsv_s"), HsvV = D(hsvV, "hsv_v"),
                },
            };
            Validate(o);
            try
            {
                if (resuming && TrainingRun.ReadState(runDir) is { } state)
                {
                    TrainingRun.CheckResumable(state, o, DatasetConfig.Load(o.Data).Nc, Relative(Path.GetFullPath(runDir)));
                    if (state.EpochsDone >= state.Epochs || state.Stopped)
                        throw new CliException($"--resume: {Relative(Path.GetFullPath(runDir))} finished ({state.EpochsDone} of {state.Epochs} epochs{(state.Stopped ? ", stopped early" : "")}); nothing to resume — start a new run without --resume");
                }
                var result = TrainView.Run(o);
                var names = DatasetConfig.Load(o.Data).Names;
                AnsiConsole.WriteLine();
                AnsiConsole.MarkupLineInterpolated($"Validated best weights (epoch {result.BestEpoch}):");
                AnsiConsole.Write(ValCommand.ClassTable(result.PerClass, names, result.Images, result.Precision, result.Recall, result.Map50, result.Map50_95));
                AnsiConsole.MarkupLineInterpolated($"Results saved to [bold]{Relative(result.RunDir)}[/] (weights/best.safetensors, results.csv, results.png, train.log)");
                return 0;
            }
            catch (Exception e) when (e is TrainingException or DatasetException or ModelConfigException)
            {
                throw new CliException(e.Message);
            }
        });
        return cmd;
    }

    static void Validate(TrainOptions o)
    {
        if (o.Epochs < 1) throw new CliException($"--epochs {o.Epochs}: must be at least 1");
        if (o.Batch < 1) throw new CliException($"--batch {o.Batch}: must be at least 1");
        if (o.ImgSize < 32 || o.ImgSize % 32 != 0) throw new CliException($"--imgsz {o.ImgSize}: must be a multiple of 32 (the largest stride), at least 32");
        if (o.Optim.NominalBatch < 1) throw new CliException($"--nbs {o.Optim.NominalBatch}: must be at least 1");
        if (o.Patience < 0) throw new CliException($"--patience {o.Patience}: must be 0 (never stop early) or more");
        if (o.CloseMosaic < 0) throw new CliException($"--close-mosaic {o.CloseMosaic}: must be 0 or more");
        foreach (var (n, v) in new[] { ("--mosaic", o.Augment.Mosaic), ("--fliplr", o.Augment.FlipLR) })
            if (v is < 0 or > 1) throw new CliException($"{n} {v.ToString(CultureInfo.InvariantCulture)}: a probability, between 0 and 1");
    }

    public static bool Given(ParseResult p, Option o) => p.GetResult(o) is OptionResult { Implicit: false };

    static YamlMappingNode? ReadArgs(string path)
    {
        if (!File.Exists(path)) return null;
        var y = new YamlStream();
        using (var r = new StreamReader(path)) y.Load(r);
        return y.Documents.Count > 0 ? y.Documents[0].RootNode as YamlMappingNode : null;
    }

    static string? Scalar(YamlMappingNode m, string key) =>
        m.Children.TryGetValue(new YamlScalarNode(key), out var n) && n is YamlScalarNode s && s.Value is { } v && v != "null" ? v : null;

    /// <summary>A path relative to the working folder when it lies below it (what a user typed), else absolute.</summary>
    public static string Relative(string path)
    {
        var rel = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return rel.StartsWith("..", StringComparison.Ordinal) ? path : rel;
    }
}
