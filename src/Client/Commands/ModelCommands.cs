using System.CommandLine;
using System.Globalization;
using YoloSweep.Models;
using YoloSweep.Torch;

namespace YoloSweep.Client.Commands;

/// <summary>`yolosweep model info|run` — CLI glue over YoloSweep.Models (ModelSummary, ModelRun).</summary>
public static class ModelCommands
{
    public static Command Build()
    {
        var model = new Command("model", "Inspect and run the model zoo (configs/models) or your own model YAML");
        model.Subcommands.Add(Info());
        model.Subcommands.Add(Run());
        return model;
    }

    sealed record Common(Option<string> Model, Option<string?> Scale, Option<long?> Nc, Option<string[]> Knob);

    static Common AddCommon(Command cmd)
    {
        var c = new Common(
            new Option<string>("--model") { Description = $"zoo model ({string.Join(", ", ModelCatalog.Names)}) or a path to a model YAML", Required = true },
            new Option<string?>("--scale") { Description = "scale: n, s, m, l, x (b for yolov10)" },
            new Option<long?>("--nc") { Description = "number of classes (overrides the YAML's nc)" },
            new Option<string[]>("--knob") { Description = "knob as name=value (repeatable), e.g. pconv.n_div=2", AllowMultipleArgumentsPerToken = false });
        cmd.Options.Add(c.Model);
        cmd.Options.Add(c.Scale);
        cmd.Options.Add(c.Nc);
        cmd.Options.Add(c.Knob);
        return c;
    }

    static Dictionary<string, string> Knobs(string[]? raw)
    {
        var d = new Dictionary<string, string>();
        foreach (var k in raw ?? [])
        {
            var i = k.IndexOf('=');
            if (i <= 0) throw new ArgumentException($"--knob '{k}': expected name=value");
            d[k[..i].Trim()] = k[(i + 1)..].Trim();
        }
        return d;
    }

    static int Guard(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (e is ModelConfigException or ArgumentException or FileNotFoundException or TorchException)
        {
            Console.Error.WriteLine($"yolosweep model: {e.Message}");
            return 2;
        }
    }

    static Command Info()
    {
        var cmd = new Command("info", "Per-layer table and summary (layers, parameters, gradients, GFLOPs at 640)");
        var c = AddCommon(cmd);
        var json = new Option<bool>("--json") { Description = "print one JSON object" };
        var latency = new Option<bool>("--latency") { Description = "also measure forward latency (batch 1; median and IQR of 30 runs after 5 warm-up, " +
                                                                    $"the host lock held exclusive, {LatencyMeter.ThreadsVariable} threads or min(cores, 4))" };
        var imgsz = new Option<int>("--imgsz") { Description = "image size for --latency", DefaultValueFactory = _ => 640 };
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        cmd.Options.Add(json);
        cmd.Options.Add(latency);
        cmd.Options.Add(imgsz);
        cmd.Options.Add(device);
        cmd.SetAction(p => Guard(() =>
        {
            using var m = ModelCatalog.Build(p.GetValue(c.Model)!, p.GetValue(c.Scale), p.GetValue(c.Nc), Knobs(p.GetValue(c.Knob)));
            var s = ModelSummary.Of(m);
            if (p.GetValue(latency))
            {
                var dev = Device.Parse(p.GetValue(device)!);
                var size = p.GetValue(imgsz);
                // as a trial's latency step measures it: no trial on this host trains meanwhile (the wait is logged on stderr)
                var log = Hosting.Logging.Create(file: null, console: true);
                s = s.WithLatency(Trainer.Engine.LatencyStep.Run(m, size, dev, new Trainer.Engine.HostLock(log: log), null, log));
            }
            Console.WriteLine(p.GetValue(json) ? s.Json() : s.Table());
            // The sizes a sweep may train it at (checked when a sweep is submitted).
            if (!p.GetValue(json) && Contracts.Catalog.ModelCatalog.Find(p.GetValue(c.Model)!) is { } info)
                Console.WriteLine($"image size (imgsz): {info.Imgsz.Text}{(info.Imgsz.Why is { } why ? $"; {why}" : "")}");
            return 0;
        }));
        return cmd;
    }

    static Command Run()
    {
        var cmd = new Command("run", "Load PyTorch-named weights (or a fixture's generator init), run one input, write the outputs");
        var c = AddCommon(cmd);
        var weights = new Option<string?>("--weights") { Description = "weights W.safetensors (PyTorch state_dict names)" };
        var prefix = new Option<string?>("--weights-prefix") { Description = "prefix removed from weight names" };
        var init = new Option<string?>("--init") { Description = "generator:FIXTURE.json (the fixtures' generator init)" };
        var input = new Option<string>("--input") { Description = "input I.safetensors", Required = true };
        var key = new Option<string>("--input-key") { Description = "tensor name in the input file", Required = true };
        var output = new Option<string>("--output") { Description = "output O.safetensors", Required = true };
        var train = new Option<bool>("--train") { Description = "train-mode forward (BatchNorm batch statistics)" };
        var imgsz = new Option<int?>("--imgsz") { Description = "expected input size (checked against the input tensor)" };
        foreach (var o in new Option[] { weights, prefix, init, input, key, output, train, imgsz }) cmd.Options.Add(o);
        cmd.SetAction(p => Guard(() =>
        {
            var names = ModelRun.Execute(new ModelRunRequest(p.GetValue(c.Model)!, p.GetValue(c.Scale), p.GetValue(c.Nc), Knobs(p.GetValue(c.Knob)),
                p.GetValue(weights), p.GetValue(prefix), p.GetValue(init), p.GetValue(input)!, p.GetValue(key)!, p.GetValue(output)!, p.GetValue(train))
            { ImgSize = p.GetValue(imgsz) });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"wrote {names.Count} tensors to {p.GetValue(output)}"));
            return 0;
        }));
        return cmd;
    }
}
