using YoloSweep.Models.Modules;
using YoloSweep.Torch;
using static YoloSweep.Torch.torch;

namespace YoloSweep.Models;

/// <summary>Runs a model on one input and names its outputs as the parity fixtures do (DESIGN §6 `model run`):
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
