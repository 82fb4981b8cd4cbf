using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models;

/// <summary>Runs a model on one input and names its outputs as the parity fixtures do (`model run`):
/// v5 eval.y, eval.raw.i / train.raw.i; v8 eval.y, eval.x.i / train.x.i; v10 eval.one2many.*, eval.one2one.*,
/// train.one2many.x.i, train.one2one.x.i; after a train forward, train.bn_after.&lt;bn&gt;.running_mean|running_var.</summary>
public static class ModelRunner
{
    public static Dictionary<string, Tensor> Run(DetectionModel model, Tensor input, bool train)
    {
        var result = new Dictionary<string, Tensor>();
        var mode = train ? "train" : "eval";
        if (train) model.train(); else model.eval();
        using (no_grad())
        using (var o = model.Forward(input))
        {
            void Put(string prefix, HeadOutput h)
            {
                if (h.Y is { } y) result[$"{prefix}.y"] = y.clone();
                var rawName = model.Family == "v5" ? "raw" : "x";
                for (var i = 0; i < h.Raw.Length; i++) result[$"{prefix}.{rawName}.{i}"] = h.Raw[i].clone();
            }
            if (o.One2One is { } one2one)
            {
                Put($"{mode}.one2many", o);
                Put($"{mode}.one2one", one2one);
            }
            else Put(mode, o);
        }
        if (train)
            foreach (var (name, m) in model.named_modules())
                if (m is BatchNorm2d bn)
                {
                    result[$"train.bn_after.{name}.running_mean"] = bn.running_mean.clone();
                    result[$"train.bn_after.{name}.running_var"] = bn.running_var.clone();
                }
        model.eval();
        return result;
    }
}

/// <summary>`yolosweep model run`: build, load PyTorch-named weights or apply a fixture's generator init,
/// run one input tensor (eval, or train with BN batch statistics), write the outputs under the fixtures' names.</summary>
public sealed record ModelRunRequest(string Model, string? Scale, long? Nc, IReadOnlyDictionary<string, string>? Knobs,
    string? Weights, string? WeightsPrefix, string? Init, string Input, string InputKey, string Output, bool Train)
{
    /// <summary>When set, the input must be ImgSize×ImgSize.</summary>
    public int? ImgSize { get; init; }
}

public static class ModelRun
{
    public static IReadOnlyList<string> Execute(ModelRunRequest r)
    {
        if ((r.Weights == null) == (r.Init == null))
            throw new ArgumentException("give exactly one of --weights W.safetensors and --init generator:FIXTURE.json");
        using var model = ModelCatalog.Build(r.Model, r.Scale, r.Nc, r.Knobs);
        model.SetDropPath(0);   // deterministic outputs (the fixtures zero drop paths too)
        if (r.Init != null)
        {
            const string scheme = "generator:";
            if (!r.Init.StartsWith(scheme, StringComparison.Ordinal))
                throw new ArgumentException($"--init '{r.Init}': expected generator:FIXTURE.json");
            GeneratorInit.Apply(model, r.Init[scheme.Length..]);
        }
        else LoadWeights(model, r.Weights!, r.WeightsPrefix);
        var inputs = safetensors.load_file(r.Input);
        if (!inputs.TryGetValue(r.InputKey, out var x))
            throw new ArgumentException($"{r.Input}: no tensor '{r.InputKey}' (it has: {string.Join(", ", inputs.Keys)})");
        if (r.ImgSize is { } s && (x.size(-1) != s || x.size(-2) != s))
            throw new ArgumentException($"{r.Input}: '{r.InputKey}' is [{string.Join(", ", x.shape)}], not {s}×{s} (--imgsz)");
        var outputs = ModelRunner.Run(model, x, r.Train);
        safetensors.save_file(outputs, r.Output);
        var names = outputs.Keys.ToList();
        foreach (var t in outputs.Values.Concat(inputs.Values)) t.Dispose();
        return names;
    }

    /// <summary>Loads PyTorch-named weights: keys after removing <paramref name="prefix"/> must equal our state_dict's.</summary>
    public static void LoadWeights(DetectionModel model, string path, string? prefix)
    {
        var all = safetensors.load_file(path);
        var src = new Dictionary<string, Tensor>();
        foreach (var (k, v) in all)
        {
            if (prefix is { Length: > 0 } && !k.StartsWith(prefix, StringComparison.Ordinal)) continue;
            src[prefix is { Length: > 0 } ? k[prefix.Length..] : k] = v;
        }
        try
        {
            model.load_state_dict(src, strict: true);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{path}: weights do not match model '{model.Name}' {model.Scale}: {e.Message}");
        }
        finally
        {
            foreach (var t in all.Values) t.Dispose();
        }
    }
}
